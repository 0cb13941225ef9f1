"""Jobs beat runs on a schedule: completing past classes, sweeping the outbox and old keys,
serving waitlists, staging reminders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ..celery_app import app
from ..completion import complete_past_classes as complete_past_classes_job
from ..handlers.line import SWEEP_LINES
from ..handlers.reminders import SWEEP_REMINDERS, ReminderSweep, next_page
from ..runtime import current_runtime
from ..storage import outbox_queries
from ..storage.queries import forget_command_keys
from .commands import runner
from .deliveries import deliver_staged, dispatch_deliveries

SWEEP_OUTBOX = "bookings.sweep_outbox"
COMPLETE_PAST_CLASSES = "bookings.complete_past_classes"
SWEEP_COMMAND_KEYS = "bookings.sweep_command_keys"
SWEEP_WAITLISTS = "bookings.sweep_waitlists"
SWEEP_DUE_REMINDERS = "bookings.sweep_reminders"
KEY_SWEEP_BATCH = 10_000
# How many due deliveries one sweep hands out; the next sweep takes the rest.
SWEEP_LIMIT = 20_000


def _now() -> datetime:
    return datetime.now(UTC)


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
        channels=runtime.settings.channels,
        dispatch=deliver_staged,
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


@app.task(name=SWEEP_WAITLISTS)
def sweep_waitlists() -> dict[str, Any]:
    """Expire lapsed offers (their seats go to the next in line) and close the lines of classes
    that can no longer be booked: a batch of classes per transaction, notices after each."""
    runtime = current_runtime()
    batch = runtime.settings.offer_sweep_batch
    swept = 0
    while True:
        result = runner().run(SWEEP_LINES, None, batch, _now())
        swept += result["classes"]
        if result["classes"] < batch:
            return {"classes": swept}


@app.task(name=SWEEP_DUE_REMINDERS)
def sweep_reminders() -> dict[str, Any]:
    """Stage the reminders due now, a page of classes per transaction, each page's delivered
    after its commit. Two beats, or a redelivered sweep, stage nothing twice
    (worker/handlers/reminders.py)."""
    page: ReminderSweep | None = ReminderSweep(current_runtime().settings.reminder_sweep_batch)
    staged = 0
    while page is not None:
        result = runner().run(SWEEP_REMINDERS, None, page, _now())
        staged += result["reminders"]
        page = next_page(page, result)
    return {"reminders": staged}
