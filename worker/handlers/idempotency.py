"""Apply a command at most once per idempotency key, in the transaction that applies it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.exc import IntegrityError

from api_client.errors import BookingError, InvalidRequestError

from ..domain.errors import DomainError
from ..outbox import CommandTx, StagedDelivery
from ..refusals import refusal_for
from ..storage.queries import find_command_key, record_command_key
from ..storage.unit_of_work import UnitOfWork

Result = dict[str, Any]
# Refusals from this status up (503: the class stayed locked) may pass if tried again later.
TRANSIENT_STATUS = 500


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
    apply: Callable[[CommandTx], Result],
    on_commit: Callable[[Sequence[StagedDelivery]], None] = lambda _staged: None,
) -> Result:
    """The first result recorded under `key`, applying `apply` only if there is none yet.

    Optimistic: most commands arrive once, so the key is not looked up first. The command is
    applied and its key inserted in the same transaction; if a first delivery already recorded
    the key, that insert fails, everything rolls back, and the first result is answered.
    A refusal rolls the change back and records the key with the refusal, so that a replay, or
    a late duplicate delivery after the seats freed up, answers what the caller was told
    rather than applying it. Only refusals that may pass on their own (503, the class stayed
    locked) are not recorded. Deliveries the command staged in its outbox are handed to
    `on_commit` after the commit.
    """
    fingerprint = request_hash(command, request)
    try:
        with unit_of_work() as uow:
            tx = CommandTx(uow.connection)
            result = apply(tx)
            record_command_key(
                uow.connection,
                key=key,
                command=command,
                request_hash=fingerprint,
                result=result,
                now=now,
            )
            uow.commit()
    except IntegrityError:
        stored = _recorded(unit_of_work, key)
        if stored is None:
            raise
        return _replay(stored, command, fingerprint)
    except (BookingError, DomainError) as error:
        refusal = error if isinstance(error, BookingError) else refusal_for(error)
        stored = _recorded_refusal(unit_of_work, key, command, fingerprint, refusal, now)
        if stored is None:
            raise refusal from None
        return _replay(stored, command, fingerprint)
    # Only now, with the change committed, may its notifications be sent.
    on_commit(tx.staged)
    return result


def _recorded_refusal(
    unit_of_work: Callable[[], UnitOfWork],
    key: str,
    command: str,
    fingerprint: str,
    refusal: BookingError,
    now: datetime,
) -> RowMapping | None:
    """What the key answers after this refusal: the refusal, or a twin's earlier result."""
    if refusal.status >= TRANSIENT_STATUS:
        return _recorded(unit_of_work, key)
    try:
        with unit_of_work() as uow:
            record_command_key(
                uow.connection,
                key=key,
                command=command,
                request_hash=fingerprint,
                result=refusal.to_result(),
                now=now,
            )
            uow.commit()
    except IntegrityError:
        pass  # a twin delivery recorded the key first: its result is the answer
    return _recorded(unit_of_work, key)


def _recorded(unit_of_work: Callable[[], UnitOfWork], key: str) -> RowMapping | None:
    with unit_of_work() as uow:
        return find_command_key(uow.connection, key)


def _replay(stored: RowMapping, command: str, fingerprint: str) -> Result:
    if stored["command"] != command or stored["request_hash"] != fingerprint:
        raise InvalidRequestError(
            errors={
                "idempotency_key": [
                    "this key was already used for a different request; use a new key"
                ]
            }
        )
    result: Result = stored["result"]
    if "data" not in result:
        raise BookingError.from_result(result)  # the refusal the first delivery was given
    return result
