"""Giving failed notifications a fresh attempt budget, on the owner's request."""

from __future__ import annotations

from datetime import datetime

from api_client.contract.requests import NotificationsRetry

from ..outbox import CommandTx, StagedDelivery
from ..storage import outbox_queries
from .command import Command, Result


def retry_notifications(tx: CommandTx, request: NotificationsRetry, now: datetime) -> Result:
    """Failed deliveries (of one booking, or all) back to pending; sent after the commit."""
    reopened = outbox_queries.reopen_failed(tx.connection, request.booking_id, now)
    tx.staged.extend(StagedDelivery(row.id, row.channel) for row in reopened)
    return {"data": {"reopened": len(reopened)}}


# No key: asking twice is harmless, the second finds nothing failed any more.
RETRY_NOTIFICATIONS = Command("retry_notifications", apply=retry_notifications)
