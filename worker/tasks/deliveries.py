"""Delivering notifications: in this process for local channels, as tasks for the rest."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from ..celery_app import app
from ..channels import LOCAL_CHANNELS
from ..delivery import DeliveryReport, deliver, deliver_locally
from ..outbox import StagedDelivery
from ..runtime import current_runtime

log = logging.getLogger(__name__)

DELIVER = "bookings.deliver_notifications"


def _now() -> datetime:
    return datetime.now(UTC)


def deliver_staged(staged: Sequence[StagedDelivery]) -> None:
    """After a command's commit: local channels now, in this process; the rest as tasks.

    Rows staged held by this process are sent from what was staged and marked delivered in
    a later batch (worker/local_delivery.py); other local ones (reminders, retries) are
    claimed, sent and marked in a transaction of their own.
    """
    held = [item.held for item in staged if item.held is not None]
    if held:
        try:
            current_runtime().local_delivery.send(held)
        except Exception:
            log.warning("could not send %d held notifications now", len(held), exc_info=True)
    local = [item.id for item in staged if item.held is None and item.channel in LOCAL_CHANNELS]
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
