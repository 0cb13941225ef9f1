"""The database guard against overselling: seats are taken by a statement that cannot overshoot."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import Connection, RowMapping, bindparam, update

from ..domain.graphs import OWNER_GRAPH
from . import queries
from .tables import bookings

_TAKE_SEATS = (
    update(bookings)
    .where(
        bookings.c.id == bindparam("class_id"),
        bookings.c.state == OWNER_GRAPH.initial_state,  # open classes only
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


class SeatGuard:
    """How an allocation reads its class and takes seats in it."""

    def read_class(self, conn: Connection, class_id: UUID) -> RowMapping | None:
        """The class, its row locked: this command is ordered after any other on its seats."""
        return queries.read_booking(conn, class_id, for_update=True)

    def take(self, conn: Connection, klass: RowMapping, seats: int, now: datetime) -> bool:
        """Take `seats` from `klass` (as read above); False if the row as it is refuses."""
        return take_seats(conn, klass["id"], seats, now)
