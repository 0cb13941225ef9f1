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
from ..storage.queries import find_command_key, record_command_key
from ..storage.unit_of_work import UnitOfWork

Result = dict[str, Any]


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
    the key, that insert fails, everything rolls back, and the first result is answered. A
    refusal rolls everything back and records nothing, so the caller may retry with the same
    key; but a key already applied is answered with its first result, not judged again.
    Deliveries the command staged in its outbox are handed to `on_commit` after the commit.
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
    except (BookingError, DomainError, IntegrityError):
        stored = _recorded(unit_of_work, key)
        if stored is None:
            raise
        return _replay(stored, command, fingerprint)
    # Only now, with the change committed, may its notifications be sent.
    on_commit(tx.staged)
    return result


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
    return result
