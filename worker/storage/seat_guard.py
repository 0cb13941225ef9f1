"""The database guard against overselling: seats are taken by a statement that cannot overshoot."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import Connection, bindparam, update

from .tables import bookings

_TAKE_SEATS = (
    update(bookings)
    .where(
        bookings.c.id == bindparam("class_id"),
        bookings.c.state == "tentative",
        bookings.c.current_seats + bindparam("seats_taken") <= bookings.c.max_seats,
    )
    .values(
        current_seats=bookings.c.current_seats + bindparam("seats_taken"),
        updated_at=bindparam("now"),
    )
)


def take_seats(conn: Connection, class_id: UUID, seats: int, now: datetime) -> bool:
    """Take `seats` from an open class if they are free; False (and nothing written) otherwise.

    Holds even when the Redis lock has expired under a paused worker: the condition is checked
    by the database against the row as it is when the statement runs.
    """
    parameters = {"class_id": class_id, "seats_taken": seats, "now": now}
    return conn.execute(_TAKE_SEATS, parameters).rowcount == 1


def overwrite_seats_unguarded(
    conn: Connection, class_id: UUID, seats_after: int, now: datetime
) -> None:
    """Fault drills only: write a seat count computed from an earlier read, as naive code would."""
    conn.execute(
        update(bookings)
        .where(bookings.c.id == class_id)
        .values(current_seats=seats_after, updated_at=now)
    )
