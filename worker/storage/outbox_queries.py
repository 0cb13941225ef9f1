"""Reads and writes of the outbox: staging, claiming with a lease, recording each outcome."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Connection,
    Row,
    RowMapping,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)

from .tables import outbox

_INSERT = insert(outbox)
_RETRY_LATER = (
    update(outbox)
    .where(outbox.c.id == bindparam("delivery_id"))
    .values(
        next_attempt_at=bindparam("retry_at"),
        last_error=bindparam("error"),
        lease_until=None,
    )
)
_GIVE_UP = (
    update(outbox)
    .where(outbox.c.id == bindparam("delivery_id"))
    .values(state="failed", last_error=bindparam("error"), lease_until=None)
)


def insert_deliveries(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(_INSERT, list(rows))


def claim(
    conn: Connection, delivery_ids: Sequence[UUID], *, now: datetime, lease_until: datetime
) -> Sequence[RowMapping]:
    """Take the due, unleased deliveries among `delivery_ids` for this worker until lease_until.

    Two workers handed the same ids (a sweep and a retry, say) never both get a row: the
    condition is checked by the UPDATE itself.
    """
    statement = (
        update(outbox)
        .where(
            outbox.c.id.in_(list(delivery_ids)),
            outbox.c.state == "pending",
            outbox.c.next_attempt_at <= now,
            or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now),
        )
        .values(lease_until=lease_until, attempts=outbox.c.attempts + 1)
        .returning(*outbox.c)
    )
    return conn.execute(statement).mappings().all()


def mark_delivered(conn: Connection, delivery_ids: Sequence[UUID], now: datetime) -> None:
    if delivery_ids:
        conn.execute(
            update(outbox)
            .where(outbox.c.id.in_(list(delivery_ids)))
            .values(state="delivered", delivered_at=now, lease_until=None, last_error=None)
        )


def retry_later(conn: Connection, retries: Sequence[dict[str, Any]]) -> None:
    """Each of `retries` holds delivery_id, retry_at and error."""
    if retries:
        conn.execute(_RETRY_LATER, list(retries))


def give_up(conn: Connection, failures: Sequence[dict[str, Any]]) -> None:
    """Each of `failures` holds delivery_id and error; the row is kept, marked failed."""
    if failures:
        conn.execute(_GIVE_UP, list(failures))


def due_deliveries(conn: Connection, now: datetime, limit: int) -> list[UUID]:
    """Pending deliveries whose time has come and that nobody holds: what the sweep resends."""
    query = (
        select(outbox.c.id)
        .where(
            outbox.c.state == "pending",
            outbox.c.next_attempt_at <= now,
            or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now),
        )
        .order_by(outbox.c.next_attempt_at)
        .limit(limit)
    )
    return list(conn.execute(query).scalars())


def pending_by_channel(conn: Connection) -> dict[str, int]:
    """How many deliveries wait per channel (due or retrying later): the backlog the metrics
    show, read through the (state, next_attempt_at) index."""
    query = (
        select(outbox.c.channel, func.count())
        .where(outbox.c.state == "pending")
        .group_by(outbox.c.channel)
    )
    return {channel: count for channel, count in conn.execute(query).all()}


def reopen_failed(conn: Connection, booking_id: UUID | None, now: datetime) -> Sequence[Row[Any]]:
    """Failed deliveries (of one booking, or all) back to pending with a fresh attempt budget;
    (id, channel) of each."""
    statement = update(outbox).where(outbox.c.state == "failed")
    if booking_id is not None:
        statement = statement.where(outbox.c.booking_id == booking_id)
    statement = statement.values(
        state="pending", attempts=0, next_attempt_at=now, lease_until=None
    ).returning(outbox.c.id, outbox.c.channel)
    return conn.execute(statement).all()


def read_notifications(conn: Connection, booking_id: UUID) -> Sequence[RowMapping]:
    query = (
        select(outbox)
        .where(outbox.c.booking_id == booking_id)
        .order_by(outbox.c.created_at, outbox.c.notification_id, outbox.c.channel)
    )
    return conn.execute(query).mappings().all()
