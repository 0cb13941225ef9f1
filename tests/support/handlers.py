"""Calling the worker's runner in-process, exactly as a task does, for handler-level tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from api_client.contract import tasks
from worker.handlers import CommandRunner, HandlerDeps


def now_utc() -> datetime:
    return datetime.now(UTC)


def create(deps: HandlerDeps, body: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    kwargs = {tasks.BODY_FIELD: body, tasks.KEY_FIELD: key or str(uuid.uuid4())}
    return CommandRunner(deps).handle(tasks.CREATE_BOOKING, kwargs, now_utc())


def act(
    deps: HandlerDeps, booking_id: str, action: str, message: str | None = None
) -> dict[str, Any]:
    kwargs = {
        "booking_id": booking_id,
        "action": action,
        "message": message,
        tasks.KEY_FIELD: str(uuid.uuid4()),
    }
    return CommandRunner(deps).handle(tasks.APPLY_ACTION, kwargs, now_utc())


def get(deps: HandlerDeps, booking_id: str, *include: str) -> dict[str, Any]:
    kwargs = {"booking_id": booking_id, "include": include}
    return CommandRunner(deps).handle(tasks.GET_BOOKING, kwargs, now_utc())


def command(deps: HandlerDeps, task_name: str, **fields: Any) -> dict[str, Any]:
    """Any keyed command by its task name (move_booking, set_max_seats, ...)."""
    kwargs = {**fields, tasks.KEY_FIELD: str(uuid.uuid4())}
    return CommandRunner(deps).handle(task_name, kwargs, now_utc())
