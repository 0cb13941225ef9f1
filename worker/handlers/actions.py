"""apply_action: cancel a class (with its seat bookings), or one seat booking."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping

from api_client.contract.requests import ActionRequest
from api_client.errors import ConflictError, NotFoundError

from ..domain.graphs import GROUP_OWNER
from ..domain.transitions import decide_action, releases_seats
from ..storage import queries
from .deps import HandlerDeps
from .idempotency import Result, apply_once
from .reads import present_booking

CASCADE_STATE = {"cancel": "cancelled_by_owner"}


def apply_action(key: str, request: ActionRequest, *, deps: HandlerDeps, now: datetime) -> Result:
    return apply_once(
        deps.unit_of_work,
        key=key,
        command="apply_action",
        request=request.model_dump(mode="json"),
        now=now,
        apply=lambda conn: _apply(conn, request, now),
    )


def _apply(conn: Connection, request: ActionRequest, now: datetime) -> Result:
    booking = queries.read_booking(conn, request.booking_id)
    if booking is None:
        raise NotFoundError(f"no booking with id {request.booking_id}")
    class_id = booking["id"] if booking["graph"] == GROUP_OWNER else booking["owner_booking_id"]
    # Every command that changes seats locks the class row first, so two of them never wait
    # on each other's rows in opposite order (no deadlock); then re-read under that lock.
    klass = queries.read_booking(conn, class_id, for_update=True)
    booking = queries.read_booking(conn, request.booking_id)
    assert klass is not None and booking is not None
    to_state = decide_action(
        booking["graph"],
        booking["state"],
        request.action,
        now=now,
        class_start=klass["starts_at"],
        min_cancel_s=klass["min_cancel_s"],
    )
    if not queries.move_state(
        conn, booking["id"], from_state=booking["state"], to_state=to_state, now=now
    ):
        raise ConflictError("the booking changed while the action was applied; try again")
    logs = [
        queries.log_entry(
            booking["id"], request.action, booking["state"], to_state, request.message, now
        )
    ]
    if booking["graph"] == GROUP_OWNER:
        logs += _cascade_to_seat_bookings(conn, booking, request, now)
    elif releases_seats(booking["state"], to_state):
        queries.release_seats(conn, class_id, booking["seats"], now)
    queries.append_logs(conn, logs)
    return present_booking(conn, booking["id"], include=("attributes", "related_bookings"))


def _cascade_to_seat_bookings(
    conn: Connection, klass: RowMapping, request: ActionRequest, now: datetime
) -> list[dict[str, Any]]:
    """The class's action carried to every confirmed seat booking in it, seats released."""
    to_state = CASCADE_STATE[request.action]
    moved = queries.move_seat_bookings_of_class(
        conn, klass["id"], from_state="confirmed", to_state=to_state, now=now
    )
    queries.release_seats(conn, klass["id"], sum(seats for _id, seats in moved), now)
    return [
        queries.log_entry(seat_id, to_state, "confirmed", to_state, request.message, now)
        for seat_id, _seats in moved
    ]
