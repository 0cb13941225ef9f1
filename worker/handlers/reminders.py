"""The reminder sweep: stage the reminders due now, each (seat booking, offset) once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from ..outbox import CommandTx, StagedDelivery
from ..storage import reminder_queries
from .command import Command


@dataclass(frozen=True)
class ReminderSweep:
    """One transaction of the sweep: the due reminders of up to `classes` classes with a
    window open, those after class `after` (the last of the previous one)."""

    classes: int
    after: UUID | None = None


def sweep_reminders(tx: CommandTx, page: ReminderSweep, now: datetime) -> dict[str, Any]:
    """Record the due reminders of a page of classes and stage them for every channel.

    Set-based: the rule is the statement's WHERE (worker/domain/reminders.py), and the record
    of each reminder is written by the same transaction as its outbox rows, so a sweep killed
    before its commit leaves neither, and a second sweep (another beat, a redelivery) finds
    the reminder recorded and stages nothing for it. Paging by class keeps each transaction's
    work proportional to its own seats, however many windows are open; a window swept once
    it is settled is marked, and not read again.
    """
    conn, sweep_id = tx.connection, uuid.uuid4()
    class_ids = reminder_queries.open_windows(conn, now=now, classes=page.classes, after=page.after)
    recorded = 0
    if class_ids:
        recorded, staged = reminder_queries.stage(
            conn, now=now, class_ids=class_ids, sweep_id=sweep_id, channels=tx.channels
        )
        reminder_queries.settle(conn, now=now, class_ids=class_ids)
        tx.staged.extend(StagedDelivery(delivery_id, channel) for delivery_id, channel in staged)
    return {
        "reminders": recorded,
        "classes": len(class_ids),
        "last_class": class_ids[-1] if class_ids else None,
    }


def next_page(page: ReminderSweep, result: dict[str, Any]) -> ReminderSweep | None:
    """The page after `page` answered `result`, or None when it was the last."""
    if result["classes"] < page.classes:
        return None
    return ReminderSweep(page.classes, result["last_class"])


SWEEP_REMINDERS: Command[ReminderSweep] = Command("sweep_reminders", apply=sweep_reminders)
