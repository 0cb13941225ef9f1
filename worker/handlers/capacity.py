"""Changing a class's seats: raising serves its waitlist at once; nobody is ever pushed out."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from api_client.contract.requests import SetMaxSeatsRequest

from ..domain.errors import ChangedConcurrentlyError
from ..domain.graphs import OWNER_GRAPH
from ..domain.waitlist import check_new_max_seats
from ..outbox import CommandTx
from ..presenter import booking_data
from ..storage import queries
from .allocation import class_for_booking, snapshot_of
from .command import Command, ReadOnly, Result
from .line import serve_line

DETAIL = ("attributes", "related_bookings")


def set_max_seats(tx: CommandTx, request: SetMaxSeatsRequest, now: datetime) -> Result:
    klass = serve_line(tx, class_for_booking(tx, request.booking_id), now)
    OWNER_GRAPH.next_state(klass["state"], "set_max_seats")  # an open class only
    check_new_max_seats(snapshot_of(klass), request.max_seats)
    if not tx.seats.resize(tx.connection, klass, request.max_seats, now):
        raise ChangedConcurrentlyError("the class changed while its seats were set; try again")
    details = {"max_seats_before": klass["max_seats"], "max_seats_after": request.max_seats}
    queries.append_logs(
        tx.connection,
        [
            queries.log_entry(
                klass["id"],
                "set_max_seats",
                klass["state"],
                klass["state"],
                request.message,
                now,
                details,
            )
        ],
    )
    klass = serve_line(tx, {**klass, "max_seats": request.max_seats, "updated_at": now}, now)
    related = queries.read_seat_bookings(tx.connection, klass["id"])
    return {"data": booking_data(klass, klass=klass, include=DETAIL, related=related)}


def _the_class(request: SetMaxSeatsRequest, _read_only: ReadOnly) -> list[UUID]:
    return [request.booking_id]


SET_MAX_SEATS = Command("set_max_seats", apply=set_max_seats, locks=_the_class)
