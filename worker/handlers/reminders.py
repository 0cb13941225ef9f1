"""The reminder sweep: stage the reminders due now, each (seat booking, offset) once."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from ..outbox import CommandTx, StagedDelivery
from ..storage import reminder_queries
from .command import Command


def sweep_reminders(tx: CommandTx, batch: int, now: datetime) -> dict[str, Any]:
    """Up to `batch` due reminders, recorded and staged for every channel in this transaction.

    Set-based: the rule is the statement's WHERE (worker/domain/reminders.py), and the record
    of each reminder is written by the same transaction as its outbox rows, so a sweep killed
    before its commit leaves neither, and a second sweep (another beat, a redelivery) finds
    the reminder recorded and stages nothing for it.
    """
    sweep_id = uuid.uuid4()
    recorded = reminder_queries.stage_due(tx.connection, now=now, batch=batch, sweep_id=sweep_id)
    if recorded:
        staged = reminder_queries.stage_deliveries(
            tx.connection, sweep_id=sweep_id, channels=tx.channels, now=now
        )
        tx.staged.extend(StagedDelivery(delivery_id, channel) for delivery_id, channel in staged)
    return {"reminders": recorded}


SWEEP_REMINDERS: Command[int] = Command("sweep_reminders", apply=sweep_reminders)
