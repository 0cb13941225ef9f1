"""Reading what the reminder sweep recorded and staged, for the reminder tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import Connection, create_engine, select

from worker.storage.tables import outbox, reminders_sent

REMINDER = "booking.reminder"
Reminder = tuple[str, str, int]  # (seat booking, class, seconds before the start)


def reminders_recorded(conn: Connection, seat_ids: Iterable[str]) -> list[Reminder]:
    """Every reminder recorded for these seat bookings, as (booking, class, offset), sorted."""
    ids = [uuid.UUID(seat_id) for seat_id in seat_ids]
    rows = conn.execute(
        select(
            reminders_sent.c.booking_id, reminders_sent.c.class_id, reminders_sent.c.offset_s
        ).where(reminders_sent.c.booking_id.in_(ids))
    ).all()
    return sorted((str(booking), str(klass), offset_s) for booking, klass, offset_s in rows)


def reminder_deliveries(conn: Connection, seat_ids: Iterable[str]) -> list[tuple[str, str]]:
    """(booking, channel) of every reminder's outbox row for these seat bookings, sorted."""
    ids = [uuid.UUID(seat_id) for seat_id in seat_ids]
    rows = conn.execute(
        select(outbox.c.booking_id, outbox.c.channel).where(
            outbox.c.booking_id.in_(ids), outbox.c.type == REMINDER
        )
    ).all()
    return sorted((str(booking), channel) for booking, channel in rows)


def without_the_unique_row(conn: Connection) -> None:
    """reminders_sent as it would be without its primary key, the guard that records each
    (seat booking, class, offset) once: the same columns and rows, no constraint. For the
    controls only, on a database of their own (SQLite cannot drop a primary key, so the
    table is made again from its columns)."""
    conn.exec_driver_sql("ALTER TABLE reminders_sent RENAME TO reminders_sent_guarded")
    conn.exec_driver_sql("CREATE TABLE reminders_sent AS SELECT * FROM reminders_sent_guarded")
    conn.exec_driver_sql("DROP TABLE reminders_sent_guarded")


def recorded_in(database_url: str, seat_ids: Iterable[str]) -> list[Reminder]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return reminders_recorded(conn, seat_ids)
    finally:
        engine.dispose()


def undelivered_in(database_url: str, seat_ids: Iterable[str]) -> int:
    """How many reminder deliveries of these seat bookings are not delivered yet."""
    ids = [uuid.UUID(seat_id) for seat_id in seat_ids]
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(outbox.c.state).where(
                    outbox.c.booking_id.in_(ids), outbox.c.type == REMINDER
                )
            ).all()
    finally:
        engine.dispose()
    return sum(1 for (state,) in rows if state != "delivered")
