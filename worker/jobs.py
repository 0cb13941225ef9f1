"""Background tasks: delivering notifications, sweeping the outbox, completing past classes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter

from api_client.contract import tasks as names
from api_client.contract.requests import NotificationsRetry
from api_client.contract.validation import validate

from .celery_app import app
from .completion import complete_past_classes as complete_past_classes_job
from .delivery import DeliveryReport, deliver, deliver_locally
from .outbox import StagedDelivery
from .refusals import result_or_refusal
from .runtime import current_runtime
from .storage import outbox_queries
from .storage.queries import forget_command_keys

log = logging.getLogger(__name__)

DELIVER = "bookings.deliver_notifications"
SWEEP_OUTBOX = "bookings.sweep_outbox"
COMPLETE_PAST_CLASSES = "bookings.complete_past_classes"
SWEEP_COMMAND_KEYS = "bookings.sweep_command_keys"
KEY_SWEEP_BATCH = 10_000
# How many due deliveries one sweep hands out; the next sweep takes the rest.
SWEEP_LIMIT = 20_000
_RETRY = TypeAdapter(NotificationsRetry)


def _now() -> datetime:
    return datetime.now(UTC)


# Channels that send nothing over the network: delivered at once by the process that staged
# them, sparing a task round trip per command.
LOCAL_CHANNELS = frozenset({"log"})


def deliver_staged(staged: Sequence[StagedDelivery]) -> None:
    """After a command's commit: local channels now, in this process; the rest as tasks."""
    local = [item.id for item in staged if item.channel in LOCAL_CHANNELS]
    if local:
        try:
            _deliver_now(local, deliver_locally)
        except Exception:
            log.warning("could not deliver %d local notifications now", len(local), exc_info=True)
    dispatch_deliveries([item.id for item in staged if item.channel not in LOCAL_CHANNELS])


def dispatch_deliveries(delivery_ids: Sequence[UUID]) -> None:
    """Hand deliveries to the workers in chunks, so a large fan-out spreads over all of them.

    Called after the commit that staged them. If Redis is unreachable here, nothing is lost:
    the rows stay pending and the sweep sends them.
    """
    chunk = current_runtime().settings.fanout_chunk
    ids = [str(delivery_id) for delivery_id in delivery_ids]
    try:
        for start in range(0, len(ids), chunk):
            deliver_notifications.apply_async(kwargs={"delivery_ids": ids[start : start + chunk]})
    except Exception:
        log.warning("could not dispatch %d deliveries; the sweep will", len(ids), exc_info=True)


def _deliver_now(
    delivery_ids: Sequence[UUID], how: Callable[..., DeliveryReport] = deliver
) -> DeliveryReport:
    runtime = current_runtime()
    report = how(
        delivery_ids,
        unit_of_work=runtime.unit_of_work,
        channels=runtime.channels,
        policy=runtime.retry_policy,
        now=_now,
    )
    if report.retrying and report.retry_at is not None:
        countdown_s = max(0.0, (report.retry_at - _now()).total_seconds())
        deliver_notifications.apply_async(
            kwargs={"delivery_ids": [str(i) for i in report.retrying]}, countdown=countdown_s
        )
    return report


@app.task(name=DELIVER)
def deliver_notifications(delivery_ids: list[str]) -> dict[str, Any]:
    report = _deliver_now([UUID(delivery_id) for delivery_id in delivery_ids])
    return {
        "delivered": report.delivered,
        "retrying": len(report.retrying),
        "failed": report.failed,
    }


@app.task(name=SWEEP_OUTBOX)
def sweep_outbox() -> dict[str, Any]:
    """Send what a crash or a lost message left pending: the outbox's safety net."""
    with current_runtime().read_only() as uow:
        due = outbox_queries.due_deliveries(uow.connection, _now(), SWEEP_LIMIT)
    dispatch_deliveries(due)
    return {"dispatched": len(due)}


@app.task(name=COMPLETE_PAST_CLASSES)
def complete_past_classes() -> dict[str, Any]:
    runtime = current_runtime()
    report = complete_past_classes_job(
        runtime.unit_of_work,
        now=_now(),
        grace_s=runtime.settings.complete_grace_s,
        batch=runtime.settings.complete_batch,
    )
    return {"classes": report.classes, "seat_bookings": report.seat_bookings}


@app.task(name=SWEEP_COMMAND_KEYS)
def sweep_command_keys() -> dict[str, Any]:
    """Forget idempotency keys past their retention, a batch per transaction."""
    runtime = current_runtime()
    older_than = _now() - timedelta(seconds=runtime.settings.command_key_retention_s)
    forgotten = 0
    while True:
        with runtime.unit_of_work() as uow:
            batch = forget_command_keys(uow.connection, older_than, KEY_SWEEP_BATCH)
            uow.commit()
        forgotten += batch
        if batch < KEY_SWEEP_BATCH:
            return {"forgotten": forgotten}


@app.task(name=names.RETRY_NOTIFICATIONS)
def retry_notifications(**request: Any) -> dict[str, Any]:
    return result_or_refusal(lambda: _reopen_failed(validate(_RETRY, request)))


def _reopen_failed(request: NotificationsRetry) -> dict[str, Any]:
    with current_runtime().unit_of_work() as uow:
        reopened = outbox_queries.reopen_failed(uow.connection, request.booking_id, _now())
        uow.commit()
    dispatch_deliveries(reopened)
    return {"data": {"reopened": len(reopened)}}
