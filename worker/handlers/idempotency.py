"""Apply a command at most once per idempotency key, in the transaction that applies it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, RowMapping
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from ..domain.errors import DomainError, KeyReusedError
from ..refusals import refusal_result
from ..storage.queries import find_command_key, record_command_key
from ..storage.unit_of_work import UnitOfWork

Result = dict[str, Any]
# How a keyed command was answered: applied now, refused now (the refusal recorded with the
# key), or replayed (the key's earlier answer).
Outcome = Literal["applied", "refused", "replayed"]


def request_hash(command: str, request: dict[str, Any]) -> str:
    canonical = json.dumps([command, request], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def apply_once(
    unit_of_work: Callable[[], UnitOfWork],
    *,
    key: str,
    command: str,
    request: dict[str, Any],
    now: datetime,
    apply: Callable[[Connection], Result],
) -> tuple[Result, Outcome]:
    """The first result recorded under `key`, and how this call came to answer it.

    Optimistic: most commands arrive once, so the key is not looked up first. The command is
    applied and its key inserted in the same transaction; if a first delivery already recorded
    the key, that insert fails, everything rolls back, and the first result is answered.
    A refusal rolls the change back and records the key with the refusal, so that a replay, or
    a late duplicate delivery after the seats freed up, answers what the caller was told
    rather than applying it. Transient refusals (which may pass on their own) are raised
    without being recorded.
    """
    fingerprint = request_hash(command, request)
    try:
        with unit_of_work() as uow:
            result = apply(uow.connection)
            _record(uow.connection, key, command, fingerprint, result, now)
            uow.commit()
    except IntegrityError:
        stored = _recorded(unit_of_work, key)
        if stored is None:
            raise
        return _replay(stored, command, fingerprint), "replayed"
    except DomainError as refusal:
        if refusal.transient:
            raise
        stored = _recorded_refusal(unit_of_work, key, command, fingerprint, refusal, now)
        return _replay(stored, command, fingerprint), "refused"
    return result, "applied"


def _record(
    conn: Connection, key: str, command: str, fingerprint: str, result: Result, now: datetime
) -> None:
    record_command_key(
        conn, key=key, command=command, request_hash=fingerprint, result=result, now=now
    )


def _recorded_refusal(
    unit_of_work: Callable[[], UnitOfWork],
    key: str,
    command: str,
    fingerprint: str,
    refusal: DomainError,
    now: datetime,
) -> RowMapping:
    """What the key answers after this refusal: the refusal, or a twin's earlier result."""
    try:
        with unit_of_work() as uow:
            _record(uow.connection, key, command, fingerprint, refusal_result(refusal), now)
            uow.commit()
    except IntegrityError:
        pass  # a twin delivery recorded the key first: its result is the answer
    stored = _recorded(unit_of_work, key)
    assert stored is not None, "a key just recorded is found"
    return stored


def _recorded(unit_of_work: Callable[[], UnitOfWork], key: str) -> RowMapping | None:
    with unit_of_work() as uow:
        return find_command_key(uow.connection, key)


def _replay(stored: RowMapping, command: str, fingerprint: str) -> Result:
    """The recorded result (a success or the refusal the first delivery was given)."""
    if stored["command"] != command or stored["request_hash"] != fingerprint:
        raise KeyReusedError()
    result: Result = stored["result"]
    return result


def apply_once_within(
    connection: Connection,
    *,
    key: str,
    command: str,
    request: dict[str, Any],
    now: datetime,
    apply: Callable[[], Result],
    undo: Callable[[], None],
) -> tuple[Result, Outcome]:
    """`apply_once` for a command that shares its transaction with others (seat bookings
    applied together): the command and its key go in a savepoint of their own, so that its
    refusal, or a twin's key recorded first, rolls back this command alone. `undo` forgets
    what the command staged outside the database (its notifications) when it rolls back.

    Any other error rolls the savepoint back too and is raised, unless the connection itself
    was lost: then the whole transaction is gone and it is raised as it is.
    """
    fingerprint = request_hash(command, request)
    savepoint = connection.begin_nested()
    try:
        result = apply()
        _record(connection, key, command, fingerprint, result, now)
        savepoint.commit()
    except IntegrityError:
        savepoint.rollback()
        undo()
        stored = find_command_key(connection, key)
        if stored is None:
            raise
        return _replay(stored, command, fingerprint), "replayed"
    except DomainError as refusal:
        savepoint.rollback()
        undo()
        if refusal.transient:
            raise
        return _refusal_recorded_within(connection, key, command, fingerprint, refusal, now)
    except Exception as error:
        if not connection_lost(error):
            savepoint.rollback()
            undo()
        raise
    return result, "applied"


def connection_lost(error: BaseException) -> bool:
    """A dropped connection, a deadlock or a serialization failure: the transaction is gone
    (or must go) whole, and running its commands again is safe."""
    return isinstance(error, OperationalError) or (
        isinstance(error, DBAPIError) and error.connection_invalidated
    )


def _refusal_recorded_within(
    connection: Connection,
    key: str,
    command: str,
    fingerprint: str,
    refusal: DomainError,
    now: datetime,
) -> tuple[Result, Outcome]:
    savepoint = connection.begin_nested()
    try:
        _record(connection, key, command, fingerprint, refusal_result(refusal), now)
        savepoint.commit()
    except IntegrityError:
        savepoint.rollback()  # a twin delivery recorded the key first: its result is the answer
        stored = find_command_key(connection, key)
        assert stored is not None, "a key that conflicted is found"
        return _replay(stored, command, fingerprint), "refused"
    return refusal_result(refusal), "refused"
