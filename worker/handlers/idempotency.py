"""Apply a command at most once per idempotency key, in the transaction that applies it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from api_client.errors import InvalidRequestError

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
    apply: Callable[[Connection], Result],
) -> Result:
    """The first result recorded under `key`, applying `apply` only if there is none yet.

    A refusal raised by `apply` rolls everything back and records nothing, so the caller may
    retry with the same key. The key is recorded in the transaction of the change it stands
    for: either both commit or neither does.
    """
    fingerprint = request_hash(command, request)
    try:
        with unit_of_work() as uow:
            stored = find_command_key(uow.connection, key)
            if stored is not None:
                return _replay(stored, command, fingerprint)
            result = apply(uow.connection)
            record_command_key(
                uow.connection,
                key=key,
                command=command,
                request_hash=fingerprint,
                result=result,
                now=now,
            )
            uow.commit()
            return result
    except IntegrityError:
        # A twin delivery of this command committed between our lookup and our insert.
        with unit_of_work() as uow:
            stored = find_command_key(uow.connection, key)
        if stored is None:
            raise
        return _replay(stored, command, fingerprint)


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
