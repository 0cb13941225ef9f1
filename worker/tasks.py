"""Thin Celery tasks: decode the payload, call one handler, map the outcome to a result dict."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from celery import Task
from pydantic import TypeAdapter
from sqlalchemy.exc import DBAPIError, OperationalError

from api_client.contract import tasks as names
from api_client.contract.recurrence import GroupOwnerSeries
from api_client.contract.requests import (
    ActionRequest,
    BookingBody,
    BookingQuery,
    BulkCreate,
    GroupsQuery,
    SeriesCancel,
)
from api_client.contract.validation import validate
from api_client.errors import BusyError

from . import handlers
from .celery_app import app
from .jobs import deliver_staged
from .locks import LockBusyError
from .refusals import result_or_refusal
from .runtime import current_runtime

log = logging.getLogger(__name__)

_BOOKING_BODY: TypeAdapter[Any] = TypeAdapter(BookingBody)
_ACTION: TypeAdapter[Any] = TypeAdapter(ActionRequest)
_BOOKING_QUERY = TypeAdapter(BookingQuery)
_GROUPS_QUERY = TypeAdapter(GroupsQuery)
_SERIES: TypeAdapter[Any] = TypeAdapter(GroupOwnerSeries)
_SERIES_CANCEL: TypeAdapter[Any] = TypeAdapter(SeriesCancel)
_BULK: TypeAdapter[Any] = TypeAdapter(BulkCreate)

Result = dict[str, Any]


class BookingTask(Task):  # type: ignore[misc]
    """The base of every booking task."""

    # The retry budgets are ours (see _run), not Celery's default of three.
    max_retries = None
    # Celery renders every result for its log line whether or not it logs it; a booking's
    # answer is a kilobyte of JSON, and rendering all of it costs more than a round trip.
    resultrepr_maxsize = 120


def _deps() -> handlers.HandlerDeps:
    runtime = current_runtime()
    return handlers.HandlerDeps(
        unit_of_work=runtime.unit_of_work,
        read_only=runtime.read_only,
        locks=runtime.locks,
        seat_guard_enabled=runtime.settings.seat_guard_enabled,
        channels=runtime.settings.channels,
        dispatch=deliver_staged,
    )


def _backoff_s(attempt: int) -> float:
    settings = current_runtime().settings
    # Full jitter: waiting workers spread out instead of stampeding the lock together.
    return random.uniform(0, min(settings.retry_cap_s, settings.retry_base_s * 2**attempt))


def _run(task: Task, call: Callable[[], Result]) -> Result:
    """A handler's result; refusals become error results, contention becomes a retry."""
    settings = current_runtime().settings
    if (task.request.delivery_info or {}).get("redelivered"):
        # Restored after a visibility timeout or a lost worker: harmless, the command's key
        # makes it apply at most once; logged so that operators (and the drills) see it.
        log.warning("redelivered: %s %s", task.name, task.request.id)
    try:
        return result_or_refusal(call)
    except LockBusyError:
        if task.request.retries >= settings.lock_retries:
            return BusyError("the class is busy with other bookings; try again shortly").to_result()
        raise task.retry(countdown=_backoff_s(task.request.retries)) from None
    except (OperationalError, DBAPIError) as error:
        # A dropped connection, a deadlock or a serialization failure: the transaction rolled
        # back whole, so running the command again is safe.
        transient = isinstance(error, OperationalError) or error.connection_invalidated
        if not transient or task.request.retries >= settings.db_retries:
            raise
        log.warning("retrying %s after a database error: %s", task.name, error)
        raise task.retry(countdown=_backoff_s(task.request.retries)) from None


def _command(
    task: Task, handler: Callable[..., Result], adapter: TypeAdapter[Any], key: str, payload: Any
) -> Result:
    """Decode the payload with the contract, run the command's handler, map its outcome."""
    return _run(
        task,
        lambda: handler(key, validate(adapter, payload), deps=_deps(), now=datetime.now(UTC)),
    )


@app.task(name=names.CREATE_BOOKING, base=BookingTask, bind=True)
def create_booking(self: Task, idempotency_key: str, body: dict[str, Any]) -> Result:
    return _command(self, handlers.create_booking, _BOOKING_BODY, idempotency_key, body)


@app.task(name=names.APPLY_ACTION, base=BookingTask, bind=True)
def apply_action(self: Task, idempotency_key: str, **request: Any) -> Result:
    return _command(self, handlers.apply_action, _ACTION, idempotency_key, request)


@app.task(name=names.CREATE_RECURRING, base=BookingTask, bind=True)
def create_recurring(self: Task, idempotency_key: str, body: dict[str, Any]) -> Result:
    return _command(self, handlers.create_series, _SERIES, idempotency_key, body)


@app.task(name=names.CANCEL_SERIES, base=BookingTask, bind=True)
def cancel_series(self: Task, idempotency_key: str, **request: Any) -> Result:
    return _command(self, handlers.cancel_series, _SERIES_CANCEL, idempotency_key, request)


@app.task(name=names.BULK_CREATE, base=BookingTask, bind=True)
def bulk_create(self: Task, idempotency_key: str, **request: Any) -> Result:
    return _command(self, handlers.bulk_create, _BULK, idempotency_key, request)


@app.task(name=names.GET_BOOKING, base=BookingTask, bind=True)
def get_booking(self: Task, **query: Any) -> Result:
    return _run(self, lambda: handlers.get_booking(validate(_BOOKING_QUERY, query), deps=_deps()))


@app.task(name=names.LIST_GROUPS, base=BookingTask, bind=True)
def list_groups(self: Task, **query: Any) -> Result:
    return _run(self, lambda: handlers.list_groups(validate(_GROUPS_QUERY, query), deps=_deps()))


@app.task(name=names.PING)
def ping() -> Result:
    """A no-op round trip: the ceiling the benchmarks measure booking throughput against."""
    return {"data": "pong"}
