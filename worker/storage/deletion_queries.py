"""Deleting bookings for good: their outbox rows, their logs, then the rows themselves."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import Connection, delete

from .tables import booking_logs, bookings, class_reminders, outbox, reminders_sent


def delete_bookings(conn: Connection, booking_ids: Sequence[UUID]) -> None:
    """Remove these bookings with everything that names them by foreign key. A class's seat
    bookings must be among them, or deleted before it (they name it as owner_booking_id).
    Command keys stay: their results are what was answered, and a replay answers the same."""
    if not booking_ids:
        return
    ids = list(booking_ids)
    conn.execute(delete(outbox).where(outbox.c.booking_id.in_(ids)))
    conn.execute(delete(booking_logs).where(booking_logs.c.booking_id.in_(ids)))
    conn.execute(delete(reminders_sent).where(reminders_sent.c.booking_id.in_(ids)))
    conn.execute(delete(class_reminders).where(class_reminders.c.class_id.in_(ids)))
    # Seat bookings before their class: the self-reference is checked per statement.
    conn.execute(
        delete(bookings).where(bookings.c.id.in_(ids), bookings.c.owner_booking_id.isnot(None))
    )
    conn.execute(delete(bookings).where(bookings.c.id.in_(ids)))
