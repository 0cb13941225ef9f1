"""Reminders in SQL: each class's windows, and staging the due ones set-based, once each.

Staging records each due reminder in reminders_sent (INSERT ... SELECT of the due reminders,
ON CONFLICT DO NOTHING) and writes an outbox row per channel for the rows it recorded, in the
sweep's transaction. A reminder staged before conflicts on the primary key and is skipped; a
second sweep at the same moment waits on the first's uncommitted row, then skips it. Only the
statement whose row was written stages the reminder's deliveries.

On PostgreSQL that is one statement: the outbox rows are made from the INSERT's RETURNING,
joined to the rule's own read of each seat (its customer), so nothing is looked up twice and
staging costs little more than writing the outbox rows alone (benchmarks/reminders.py). SQLite
has no INSERT inside WITH: there the rows recorded carry the sweep's id, and a second statement
per channel reads them back by it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    RowMapping,
    Select,
    String,
    Table,
    Uuid,
    bindparam,
    column,
    false,
    func,
    literal,
    null,
    or_,
    select,
    true,
    type_coerce,
    update,
    values,
)
from sqlalchemy.dialects import postgresql, sqlite

from ..domain.graphs import State
from ..domain.notifications import CUSTOMER
from ..domain.reminders import REMINDER, SETTLED_AFTER, reminder_windows
from .tables import UtcDateTime, booking_logs, bookings, class_reminders, outbox, reminders_sent

_FILL_PAYLOAD = (
    update(outbox)
    .where(outbox.c.id == bindparam("delivery_id"))
    .values(payload=bindparam("filled"))
)
RECORDED_COLUMNS = (
    "booking_id",
    "class_id",
    "offset_s",
    "notification_id",
    "sweep_id",
    "staged_at",
)
OUTBOX_COLUMNS = (
    "id",
    "notification_id",
    "channel",
    "booking_id",
    "type",
    "recipient_role",
    "recipient_name",
    "recipient_email",
    "message",
    "payload",
    "state",
    "attempts",
    "next_attempt_at",
    "created_at",
)


def schedule(conn: Connection, classes: Sequence[Mapping[str, Any]]) -> None:
    """The reminder windows of new classes (those with reminders), from their start."""
    rows = [
        {
            "class_id": klass["id"],
            "offset_s": window.offset_s,
            "opens_at": window.opens_at,
            "closes_at": window.closes_at,
            "settled": False,
        }
        for klass in classes
        for window in reminder_windows(klass["starts_at"], klass.get("reminder_offsets_s") or ())
    ]
    if rows:
        conn.execute(class_reminders.insert(), rows)


def open_windows(
    conn: Connection, *, now: datetime, classes: int, after: UUID | None
) -> list[UUID]:
    """Up to `classes` classes with a reminder window open at `now` and not settled, in id
    order after `after`. A class's windows do not overlap, so each class has at most one open."""
    query = (
        select(class_reminders.c.class_id)
        .where(
            class_reminders.c.closes_at > now,
            class_reminders.c.opens_at <= now,
            class_reminders.c.settled == false(),
        )
        .order_by(class_reminders.c.class_id)
        .limit(classes)
    )
    if after is not None:
        query = query.where(class_reminders.c.class_id > after)
    return list(conn.execute(query).scalars())


def stage(
    conn: Connection,
    *,
    now: datetime,
    class_ids: Collection[UUID],
    sweep_id: UUID,
    channels: Collection[str],
) -> tuple[int, list[tuple[UUID, str]]]:
    """Record the reminders due at `now` in these classes and stage their deliveries: how many
    were recorded, and (id, channel) of each outbox row. One statement on PostgreSQL, two on
    SQLite (which has no INSERT in a WITH)."""
    if conn.dialect.name == "postgresql":
        return _stage_in_one_statement(
            conn, now=now, class_ids=class_ids, sweep_id=sweep_id, channels=channels
        )
    recorded = stage_due(conn, now=now, class_ids=class_ids, sweep_id=sweep_id)
    if not recorded:
        return 0, []
    return recorded, stage_deliveries(conn, sweep_id=sweep_id, channels=channels, now=now)


def _due(
    conn: Connection, *, now: datetime, class_ids: Collection[UUID], sweep_id: UUID
) -> Select[Any]:
    """The reminders due at `now` in these classes, as reminders_sent rows (RECORDED_COLUMNS)
    followed by the customer's name and e-mail.

    Due (worker/domain/reminders.py): the window is open at `now`, the seat booking is
    confirmed in its class, and no log entry brought it into `confirmed` (booked, promoted,
    offer accepted, moved in) after the window opened.
    """
    window, seat = class_reminders, bookings
    seated_later = (
        select(booking_logs.c.booking_id)
        .where(
            booking_logs.c.booking_id == seat.c.id,
            booking_logs.c.to_state == State.CONFIRMED,
            booking_logs.c.created_at > window.c.opens_at,
        )
        .exists()
    )
    return (
        select(
            seat.c.id.label("booking_id"),
            window.c.class_id,
            window.c.offset_s,
            _new_uuid(conn).label("notification_id"),
            literal(sweep_id, Uuid()).label("sweep_id"),
            literal(now, UtcDateTime()).label("staged_at"),
            seat.c.customer_name,
            seat.c.customer_email,
        )
        .select_from(window.join(seat, seat.c.owner_booking_id == window.c.class_id))
        .where(
            window.c.class_id.in_(list(class_ids)),
            window.c.closes_at > now,
            window.c.opens_at <= now,
            seat.c.state == State.CONFIRMED,
            ~seated_later,
        )
        # One order for every sweep, so two at once wait on each other's rows in the same
        # order and never deadlock: reminders_sent's key order, which also keeps each insert
        # into its primary key next to the last.
        .order_by(seat.c.id, window.c.class_id)
    )


def stage_due(
    conn: Connection, *, now: datetime, class_ids: Collection[UUID], sweep_id: UUID
) -> int:
    """Record the reminders due at `now` in these classes under `sweep_id`; how many were new."""
    due = _due(conn, now=now, class_ids=class_ids, sweep_id=sweep_id)
    rows = due.with_only_columns(*due.selected_columns[: len(RECORDED_COLUMNS)])
    statement = (
        _insert(conn, reminders_sent).from_select(RECORDED_COLUMNS, rows).on_conflict_do_nothing()
    )
    # SQLAlchemy keeps an INSERT's row count only when asked to.
    return int(conn.execute(statement.execution_options(preserve_rowcount=True)).rowcount)


def _stage_in_one_statement(
    conn: Connection,
    *,
    now: datetime,
    class_ids: Collection[UUID],
    sweep_id: UUID,
    channels: Collection[str],
) -> tuple[int, list[tuple[UUID, str]]]:
    """WITH due AS (the rule), recorded AS (INSERT INTO reminders_sent ... ON CONFLICT DO
    NOTHING RETURNING), staged AS (INSERT INTO outbox ... from recorded joined to due, one row
    per channel, RETURNING): the outbox rows come from the rows this statement recorded, and
    their customer from the rule's own read of the seat, so neither is looked up again."""
    due = _due(conn, now=now, class_ids=class_ids, sweep_id=sweep_id).cte("due")
    recorded = (
        postgresql.insert(reminders_sent)
        .from_select(RECORDED_COLUMNS, select(*(due.c[name] for name in RECORDED_COLUMNS)))
        .on_conflict_do_nothing()
        .returning(reminders_sent.c.notification_id)
        .cte("recorded")
    )
    channel = values(column("name", String), name="channel").data([(name,) for name in channels])
    rows = (
        select(
            _new_uuid(conn),
            recorded.c.notification_id,
            channel.c.name,
            due.c.booking_id,
            literal(REMINDER),
            literal(CUSTOMER),
            due.c.customer_name,
            due.c.customer_email,
            null(),
            literal({}, JSON()),
            literal("pending"),
            literal(0),
            literal(now, UtcDateTime()),
            literal(now, UtcDateTime()),
        )
        .select_from(
            recorded.join(due, due.c.notification_id == recorded.c.notification_id).join(
                channel, true()
            )
        )
        # e-mail only to customers with an address
        .where(or_(channel.c.name != "email", due.c.customer_email.is_not(None)))
    )
    staged = (
        outbox.insert()
        .from_select(OUTBOX_COLUMNS, rows)
        .returning(outbox.c.id, outbox.c.channel)
        .cte("staged")
    )
    # One row even when nothing was staged, so that the count of recorded always comes back.
    counted = select(func.count().label("recorded")).select_from(recorded).subquery("counted")
    statement = select(counted.c.recorded, staged.c.id, staged.c.channel).select_from(
        counted.outerjoin(staged, true())
    )
    result = conn.execute(statement).all()
    recorded_count = int(result[0].recorded) if result else 0
    return recorded_count, [(row.id, row.channel) for row in result if row.id is not None]


def settle(conn: Connection, *, now: datetime, class_ids: Collection[UUID]) -> None:
    """Mark the open windows of these classes that are settled at `now` (just swept)."""
    conn.execute(
        update(class_reminders)
        .where(
            class_reminders.c.class_id.in_(list(class_ids)),
            class_reminders.c.opens_at <= now - SETTLED_AFTER,
            class_reminders.c.closes_at > now,
        )
        .values(settled=True)
    )


def stage_deliveries(
    conn: Connection, *, sweep_id: UUID, channels: Collection[str], now: datetime
) -> list[tuple[UUID, str]]:
    """Outbox rows for the reminders `sweep_id` recorded, one per channel (e-mail only to
    customers with an address); (id, channel) of each. Their payload is filled in when they
    are sent (reminder_payloads.py), so that staging stays one statement per channel."""
    staged: list[tuple[UUID, str]] = []
    for channel in channels:
        rows = (
            select(
                _new_uuid(conn),
                reminders_sent.c.notification_id,
                literal(channel),
                reminders_sent.c.booking_id,
                literal(REMINDER),
                literal(CUSTOMER),
                bookings.c.customer_name,
                bookings.c.customer_email,
                null(),
                literal({}, JSON()),
                literal("pending"),
                literal(0),
                literal(now, UtcDateTime()),
                literal(now, UtcDateTime()),
            )
            .select_from(
                reminders_sent.join(bookings, bookings.c.id == reminders_sent.c.booking_id)
            )
            .where(reminders_sent.c.sweep_id == sweep_id)
        )
        if channel == "email":
            rows = rows.where(bookings.c.customer_email.is_not(None))
        statement = outbox.insert().from_select(OUTBOX_COLUMNS, rows).returning(outbox.c.id)
        staged += [(delivery_id, channel) for delivery_id in conn.execute(statement).scalars()]
    return staged


def read_sent(conn: Connection, booking_ids: Collection[UUID]) -> dict[UUID, RowMapping]:
    """The reminders staged for these seat bookings (read by the primary key's first column),
    by notification id."""
    rows = conn.execute(
        select(reminders_sent).where(reminders_sent.c.booking_id.in_(list(booking_ids)))
    )
    return {row["notification_id"]: row for row in rows.mappings()}


def read_bookings(conn: Connection, booking_ids: Collection[UUID]) -> dict[UUID, RowMapping]:
    rows = conn.execute(select(bookings).where(bookings.c.id.in_(list(booking_ids))))
    return {row["id"]: row for row in rows.mappings()}


def fill_payloads(conn: Connection, payloads: Mapping[UUID, dict[str, Any]]) -> None:
    """Each delivery's payload, as it is first sent."""
    if payloads:
        conn.execute(
            _FILL_PAYLOAD,
            [{"delivery_id": key, "filled": payload} for key, payload in payloads.items()],
        )


def _insert(conn: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """INSERT that can say ON CONFLICT DO NOTHING, for this connection's database."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _new_uuid(conn: Connection) -> ColumnElement[UUID]:
    """A random id made by the database, one per row of a set-based insert."""
    if conn.dialect.name == "postgresql":
        return type_coerce(func.gen_random_uuid(), Uuid())
    # SQLite keeps a Uuid as 32 hex digits.
    return type_coerce(func.lower(func.hex(func.randomblob(16))), Uuid())
