"""Apply a command at most once per idempotency key, in the transaction that applies it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

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
