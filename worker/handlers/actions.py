"""Actions: cancel or complete a class (with its seat bookings), or one seat booking."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping

from api_client.contract.requests import ActionRequest

from ..domain.errors import ChangedConcurrentlyError, NotFoundError
from ..domain.graphs import CASCADE_FROM_STATE, CASCADE_TO_SEATS, GROUP_OWNER
from ..domain.notifications import Notice, notices_for
from ..domain.transitions import decide_action, releases_seats
from ..outbox import CommandTx, customer_of, owner_of, stage
from ..presenter import booking_data
from ..storage import queries
from .command import Command, Result

DETAIL = ("attributes", "related_bookings")
Row = dict[str, Any]


def apply_action(tx: CommandTx, request: ActionRequest, now: datetime) -> Result:
    """The action applied, answered with the booking as the transaction now holds it."""
    booking, klass = transition(tx, request, now)
    if booking["graph"] == GROUP_OWNER:
        # Only the seat bookings are not in hand: read once, after the cascade moved them.
        related = queries.read_seat_bookings(tx.connection, klass["id"])
        return {"data": booking_data(klass, klass=klass, include=DETAIL, related=related)}
    return {"data": booking_data(booking, klass=klass, include=DETAIL, related=[klass])}


def transition(tx: CommandTx, request: ActionRequest, now: datetime) -> tuple[Row, Row]:
    """Apply one action inside the caller's transaction: the graph's edge, its cascade to seat
    bookings, seats released, logs and notifications staged. Returns (booking, its class),
    both as they now are."""
    booking, klass = _locked(tx, request)
    to_state = decide_action(
        booking["graph"],
        booking["state"],
        request.action,
        now=now,
        class_start=klass["starts_at"],
        min_cancel_s=klass["min_cancel_s"],
        class_end=klass["ends_at"],
    )
    conn = tx.connection
    if not queries.move_state(
        conn, booking["id"], from_state=booking["state"], to_state=to_state, now=now
    ):
        raise ChangedConcurrentlyError(
            "the booking changed while the action was applied; try again"
        )
    logs = [
        queries.log_entry(
            booking["id"], request.action, booking["state"], to_state, request.message, now
        )
    ]
    moved: Row = {**booking, "state": to_state, "updated_at": now}
    if booking["graph"] == GROUP_OWNER:
        released, cascade_logs = _cascade_to_seat_bookings(tx, moved, request, now)
        logs += cascade_logs
        klass = moved
    else:
        released = booking["seats"] if releases_seats(booking["state"], to_state) else 0
        notices = _notices(request.action, klass, moved, request.message)
        stage(tx, [(moved, notices)], klass=klass, now=now)
    if released:
        queries.release_seats(conn, klass["id"], released, now)
        klass = {**klass, "current_seats": klass["current_seats"] - released, "updated_at": now}
    queries.append_logs(conn, logs)
    return (klass if booking["graph"] == GROUP_OWNER else moved), klass


def _locked(tx: CommandTx, request: ActionRequest) -> tuple[Row, Row]:
    """The booking and its class, read after the class row is locked.

    Every command that changes seats locks the class row first, so two of them never wait on
    each other's rows in opposite order (no deadlock).
    """
    conn = tx.connection
    booking = queries.read_booking(conn, request.booking_id)
    if booking is None:
        raise NotFoundError(f"no booking with id {request.booking_id}")
    if booking["graph"] == GROUP_OWNER:
        klass = _present(queries.read_booking(conn, booking["id"], for_update=True))
        return klass, klass
    klass = _present(queries.read_booking(conn, booking["owner_booking_id"], for_update=True))
    return _present(queries.read_booking(conn, request.booking_id)), klass


def _present(row: RowMapping | None) -> Row:
    assert row is not None, "a booking found is not deleted; a seat booking has its class"
    return dict(row)


def _cascade_to_seat_bookings(
    tx: CommandTx, klass: Row, request: ActionRequest, now: datetime
) -> tuple[int, list[Row]]:
    """The class's action carried to every confirmed seat booking in it, in a few statements;
    (seats released, their logs)."""
    seat_action, to_state = CASCADE_TO_SEATS[request.action]
    moved = queries.move_seat_bookings_of_class(
        tx.connection, klass["id"], from_state=CASCADE_FROM_STATE, to_state=to_state, now=now
    )
    released = 0
    if releases_seats(CASCADE_FROM_STATE, to_state):
        released = sum(row["seats"] for row in moved)
    announcements = [(row, _notices(seat_action, klass, row, request.message)) for row in moved]
    stage(tx, announcements, klass=klass, now=now)
    logs = [
        queries.log_entry(
            row["id"], seat_action, CASCADE_FROM_STATE, to_state, request.message, now
        )
        for row in moved
    ]
    return released, logs


def _notices(
    seat_action: str, klass: Mapping[Any, Any], seat: Mapping[Any, Any], message: str | None
) -> list[Notice]:
    return notices_for(
        seat_action, owner=owner_of(klass), customer=customer_of(seat), message=message
    )


APPLY_ACTION = Command("apply_action", apply=apply_action)
