"""The database guard against overselling: seats are counted by statements that cannot overshoot."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, bindparam, update

from ..domain.graphs import OWNER_GRAPH
from ..domain.waitlist import SeatCounts
from . import queries
from .tables import bookings

_c = bookings.c

_TAKE_SEATS = (
    update(bookings)
    .where(
        _c.id == bindparam("class_id"),
        _c.state == OWNER_GRAPH.initial_state,  # open classes only
        _c.current_seats + _c.offered_seats + bindparam("seats_taken") <= _c.max_seats,
    )
    .values(
        current_seats=_c.current_seats + bindparam("seats_taken"),
        updated_at=bindparam("now"),
    )
)

_JOIN_LINE = (
    update(bookings)
    .where(
        _c.id == bindparam("class_id"),
        _c.state == OWNER_GRAPH.initial_state,
        _c.waitlist_seats + bindparam("seats_waiting") <= _c.waitlist_size,
    )
    .values(
        waitlist_seats=_c.waitlist_seats + bindparam("seats_waiting"),
        line_arrivals=_c.line_arrivals + 1,
        updated_at=bindparam("now"),
    )
    .returning(_c.line_arrivals)
)

_RESIZE = (
    update(bookings)
    .where(
        _c.id == bindparam("class_id"),
        _c.state == OWNER_GRAPH.initial_state,
        _c.current_seats + _c.offered_seats <= bindparam("new_max"),
    )
    .values(max_seats=bindparam("new_max"), updated_at=bindparam("now"))
)


def take_seats(conn: Connection, class_id: UUID, seats: int, now: datetime) -> bool:
    """Take `seats` from an open class if they are free; False (and nothing written) otherwise.

    Holds even when the Redis lock has expired under a paused worker: the condition is checked
    by the database against the row as it is when the statement runs. Seats held by open
    waitlist offers are not free.
    """
    parameters = {"class_id": class_id, "seats_taken": seats, "now": now}
    return conn.execute(_TAKE_SEATS, parameters).rowcount == 1


class SeatGuard:
    """How a command reads its class and changes the seats counted on it."""

    def read_class(self, conn: Connection, class_id: UUID) -> Mapping[Any, Any] | None:
        """The class, its row locked: this command is ordered after any other on its seats."""
        return queries.read_booking(conn, class_id, for_update=True)

    def read_classes(
        self, conn: Connection, class_ids: Sequence[UUID]
    ) -> dict[UUID, Mapping[Any, Any]]:
        """The classes found of these, by id, their rows locked as `read_class` locks one,
        in one statement."""
        return {row["id"]: row for row in queries.read_bookings_for_update(conn, class_ids)}

    def take(self, conn: Connection, klass: Mapping[Any, Any], seats: int, now: datetime) -> bool:
        """Take `seats` from `klass` (as read above); False if the row as it is refuses."""
        return take_seats(conn, klass["id"], seats, now)

    def join_line(
        self, conn: Connection, klass: Mapping[Any, Any], seats: int, now: datetime
    ) -> int | None:
        """Count `seats` as waiting; the entry's number in the line, or None if it is full."""
        parameters = {"class_id": klass["id"], "seats_waiting": seats, "now": now}
        return conn.execute(_JOIN_LINE, parameters).scalar()

    def count(
        self, conn: Connection, klass: Mapping[Any, Any], change: SeatCounts, now: datetime
    ) -> None:
        """Apply `change` to the class's counters, relative to the row as it is; the schema's
        checks refuse any count past max_seats or waitlist_size."""
        if change == SeatCounts():
            return
        conn.execute(
            update(bookings)
            .where(_c.id == klass["id"])
            .values(
                current_seats=_c.current_seats + change.held,
                offered_seats=_c.offered_seats + change.offered,
                waitlist_seats=_c.waitlist_seats + change.waiting,
                updated_at=now,
            )
        )

    def resize(
        self, conn: Connection, klass: Mapping[Any, Any], max_seats: int, now: datetime
    ) -> bool:
        """Set max_seats unless seats taken and offered exceed it; False if the row refuses."""
        parameters = {"class_id": klass["id"], "new_max": max_seats, "now": now}
        return conn.execute(_RESIZE, parameters).rowcount == 1
