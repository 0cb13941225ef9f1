"""Sending staged deliveries: claim with a lease, send per channel, record each outcome."""

from __future__ import annotations

import json
import logging
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Connection

from . import metrics
from .channels import Channel, DeliveryFailure
from .invitation_sequences import with_invitation_sequences
from .reminder_payloads import with_reminder_payloads
from .storage import outbox_queries
from .storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int
    base_s: float
    cap_s: float
    lease_s: float

    def next_attempt(self, attempts_made: int, now: datetime) -> datetime:
        # Exponential backoff with full jitter, so a receiver coming back is not stampeded;
        # never sooner than half the base, never later than the cap.
        ceiling_s = min(self.cap_s, self.base_s * 2 ** min(attempts_made - 1, 40))
        delay_s = random.uniform(0, ceiling_s)
        return now + timedelta(seconds=min(self.cap_s, max(delay_s, self.base_s / 2)))


@dataclass(frozen=True)
class DeliveryReport:
    delivered: int
    retrying: list[UUID]
    failed: int
    retry_at: datetime | None
    # How many sends per (channel, outcome): delivered, retrying or failed.
    by_channel: Counter[tuple[str, str]] = field(default_factory=Counter)


def deliver(
    delivery_ids: Sequence[UUID],
    *,
    unit_of_work: Callable[[], UnitOfWork],
    channels: Mapping[str, Channel],
    policy: RetryPolicy,
    now: Callable[[], datetime],
) -> DeliveryReport:
    """Send those of `delivery_ids` that are due and unclaimed; one transaction to claim them,
    one to record how each went. A worker dying between the two leaves them leased until the
    lease runs out; the sweep then hands them out again."""
    started = now()
    with unit_of_work() as uow:
        claimed = outbox_queries.claim(
            uow.connection,
            delivery_ids,
            now=started,
            lease_until=started + timedelta(seconds=policy.lease_s),
        )
        sending = with_reminder_payloads(uow.connection, claimed)
        sending = with_invitation_sequences(uow.connection, sending)
        uow.commit()
    errors = send_by_channel(sending, channels)
    with unit_of_work() as uow:
        report = _record(uow.connection, sending, errors, policy=policy, now=now())
        uow.commit()
    metrics.deliveries_ended(report.by_channel)
    return report


def deliver_locally(
    delivery_ids: Sequence[UUID],
    *,
    unit_of_work: Callable[[], UnitOfWork],
    channels: Mapping[str, Channel],
    policy: RetryPolicy,
    now: Callable[[], datetime],
) -> DeliveryReport:
    """For channels that never wait on a network (the log): claim, send and record in one
    transaction. A crash before its commit leaves the rows pending, to be sent again."""
    at = now()
    with unit_of_work() as uow:
        claimed = outbox_queries.claim(uow.connection, delivery_ids, now=at, lease_until=at)
        sending = with_reminder_payloads(uow.connection, claimed)
        sending = with_invitation_sequences(uow.connection, sending)
        errors = send_by_channel(sending, channels)
        report = _record(uow.connection, sending, errors, policy=policy, now=at)
        uow.commit()
    metrics.deliveries_ended(report.by_channel)
    return report


def send_by_channel(
    claimed: Sequence[Mapping[Any, Any]], channels: Mapping[str, Channel]
) -> dict[UUID, DeliveryFailure]:
    by_channel: dict[str, list[Mapping[Any, Any]]] = defaultdict(list)
    for row in claimed:
        by_channel[row["channel"]].append(row)
    errors: dict[UUID, DeliveryFailure] = {}
    for name, rows in by_channel.items():
        channel = channels.get(name)
        if channel is None:
            # Transient: the channel may be configured by the time of the next attempt.
            unconfigured = DeliveryFailure.transient(f"channel {name!r} is not configured")
            errors.update({row["id"]: unconfigured for row in rows})
            continue
        try:
            errors.update(channel.send(rows))
        except Exception as error:
            crashed = DeliveryFailure.transient(f"{type(error).__name__}: {error}")
            errors.update({row["id"]: crashed for row in rows})
    return errors


def _record(
    conn: Connection,
    claimed: Sequence[Mapping[Any, Any]],
    errors: Mapping[UUID, DeliveryFailure],
    *,
    policy: RetryPolicy,
    now: datetime,
) -> DeliveryReport:
    """Delivered rows marked so; failed ones retried later, or marked failed at once when
    their failure is permanent or their attempts are spent."""
    delivered = [row["id"] for row in claimed if row["id"] not in errors]
    retries, failures = [], []
    by_channel: Counter[tuple[str, str]] = Counter()
    for row in claimed:
        failure = errors.get(row["id"])
        if failure is None:
            by_channel[row["channel"], "delivered"] += 1
            continue
        outcome = {"delivery_id": row["id"], "error": failure.recorded[:2000]}
        if failure.permanent or row["attempts"] >= policy.attempts:
            failures.append(outcome)
            by_channel[row["channel"], "failed"] += 1
            _log_failed(row, outcome["error"])
        else:
            retries.append({**outcome, "retry_at": policy.next_attempt(row["attempts"], now)})
            by_channel[row["channel"], "retrying"] += 1
    outbox_queries.mark_delivered(conn, delivered, now)
    outbox_queries.retry_later(conn, retries)
    outbox_queries.give_up(conn, failures)
    retry_at = min((retry["retry_at"] for retry in retries), default=None)
    return DeliveryReport(
        len(delivered),
        [retry["delivery_id"] for retry in retries],
        len(failures),
        retry_at,
        by_channel,
    )


def _log_failed(row: Mapping[Any, Any], error: str) -> None:
    """Once per delivery given up on; JSON, so that no reason can split the line."""
    failed = {
        "delivery_id": str(row["id"]),
        "notification_id": str(row["notification_id"]),
        "channel": row["channel"],
        "type": row["type"],
        "attempts": row["attempts"],
        "error": error,
    }
    log.warning("delivery failed: %s", json.dumps(failed))
