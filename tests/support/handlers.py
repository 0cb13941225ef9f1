"""Calling the handlers in-process, as a task would, for handler-level tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter

from api_client.contract.requests import ActionRequest, BookingBody, BookingQuery
from api_client.contract.validation import validate
from worker import handlers
from worker.handlers import HandlerDeps
from worker.refusals import result_or_refusal

_BODY: TypeAdapter[Any] = TypeAdapter(BookingBody)


def now_utc() -> datetime:
    return datetime.now(UTC)


def create(deps: HandlerDeps, body: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    return result_or_refusal(
        lambda: handlers.create_booking(
            key or str(uuid.uuid4()), validate(_BODY, body), deps=deps, now=now_utc()
        )
    )


def act(
    deps: HandlerDeps, booking_id: str, action: str, message: str | None = None
) -> dict[str, Any]:
    request = validate(
        TypeAdapter(ActionRequest),
        {"booking_id": booking_id, "action": action, "message": message},
    )
    return result_or_refusal(
        lambda: handlers.apply_action(str(uuid.uuid4()), request, deps=deps, now=now_utc())
    )


def get(deps: HandlerDeps, booking_id: str, *include: str) -> dict[str, Any]:
    query = BookingQuery(booking_id=uuid.UUID(booking_id), include=include)  # type: ignore[arg-type]
    return handlers.get_booking(query, deps=deps)
