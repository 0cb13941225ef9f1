"""Actions: cancel or complete a class (with its seat bookings), or act on one seat booking."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from api_client.contract.requests import ActionRequest

from ..domain.attendance import customer_cancel_action, policy_of
from ..domain.errors import ChangedConcurrentlyError, NotFoundError
from ..domain.graphs import GROUP_OWNER, State, cascades_of
from ..domain.notifications import Notice, notices_for
from ..domain.transitions import decide_action
from ..domain.waitlist import SeatCounts, change_of
from ..outbox import CommandTx, customer_of, owner_of, stage
from ..presenter import booking_data
from ..storage import queries
from .command import Command, Result
from .line import serve_line
from .reads import with_place

DETAIL = ("attributes", "related_bookings")
Row = dict[str, Any]


def apply_action(tx: CommandTx, request: ActionRequest, now: datetime) -> Result:
    """The action applied, answered with the booking as the transaction now holds it."""
    booking, klass = transition(tx, request, now)
    if booking["graph"] == GROUP_OWNER:
        # Only the seat bookings are not in hand: read once, after the cascade moved them.
        related = queries.read_seat_bookings(tx.connection, klass["id"])
        return {"data": booking_data(klass, klass=klass, include=DETAIL, related=related)}
    shown = with_place(tx.connection, booking)
    return {"data": booking_data(shown, klass=klass, include=DETAIL, related=[klass])}


def transition(tx: CommandTx, request: ActionRequest, now: datetime) -> tuple[Row, Row]:
    """Apply one action inside the caller's transaction: the graph's edge, its cascade to seat
    bookings, the class's seat counts, the line served with any seats freed, logs and
    notifications staged. Returns (booking, its class), both as they now are."""
    booking, klass = _locked(tx, request, now)
    if request.action == "check_in" and booking["state"] == State.CHECKED_IN:
        return booking, klass  # checked in already: the first check-in's answer, unchanged
    action = _graph_action(request.action, booking, klass, now)
    to_state = decide_action(
        booking["graph"],
        booking["state"],
        action,
        now=now,
        class_start=klass["starts_at"],
        min_cancel_s=klass["min_cancel_s"],
        class_end=klass["ends_at"],
        offer_expires_at=booking.get("offer_expires_at"),
        tracks_attendance=bool(klass.get("track_attendance")),
        class_state=klass["state"],
        check_in_opens_s=tx.check_in_opens_s,
    )
    conn = tx.connection
    recorded = {"checked_in_at": now} if action == "check_in" else {}
    if not queries.move_state(
        conn, booking["id"], from_state=booking["state"], to_state=to_state, now=now, **recorded
    ):
        raise ChangedConcurrentlyError(
            "the booking changed while the action was applied; try again"
        )
    logs = [
        queries.log_entry(booking["id"], action, booking["state"], to_state, request.message, now)
    ]
    moved: Row = {**booking, "state": to_state, "updated_at": now, **recorded}
    if booking["graph"] == GROUP_OWNER:
        klass = {**klass, "state": to_state, "updated_at": now}
        change, cascade_logs = _cascade_to_seat_bookings(tx, klass, request, now)
        logs += cascade_logs
    else:
        change = change_of(booking["state"], to_state, booking["seats"])
        notices = _notices(action, klass, moved, request.message)
        stage(tx, [(moved, notices)], klass=klass, now=now)
    queries.append_logs(conn, logs)
    klass = _counted(tx, klass, change, now)
    if booking["graph"] == GROUP_OWNER:
        return klass, klass
    return moved, serve_line(tx, klass, now)


def _graph_action(action: str, booking: Row, klass: Row, now: datetime) -> str:
    """The graph's action a request takes: a customer's cancel past min_cancel_time is a
    `late_cancel` where the policy stored on the seat when it was booked allows it."""
    if action != "cancel_by_customer" or booking["graph"] == GROUP_OWNER:
        return action
    return customer_cancel_action(
        booking["state"],
        class_start=klass["starts_at"],
        min_cancel_s=klass["min_cancel_s"],
        policy=policy_of(booking.get("late_cancel")),
        now=now,
    )


def _counted(tx: CommandTx, klass: Row, change: SeatCounts, now: datetime) -> Row:
    if change == SeatCounts():
        return klass  # no counter moved, and the class row was not written (a check-in)
    tx.seats.count(tx.connection, klass, change, now)
    return {
        **klass,
        "current_seats": klass["current_seats"] + change.held,
        "offered_seats": klass["offered_seats"] + change.offered,
        "waitlist_seats": klass["waitlist_seats"] + change.waiting,
        "updated_at": now,
    }


def _locked(tx: CommandTx, request: ActionRequest, now: datetime) -> tuple[Row, Row]:
    """The booking and its class, read after the class row is locked and its line served.

    Every command that changes seats locks the class row first, so two of them never wait on
    each other's rows in opposite order (no deadlock). Serving the line first means a lapsed
    offer is seen as expired, not accepted.
    """
    conn = tx.connection
    booking = queries.read_booking(conn, request.booking_id)
    if booking is None:
        raise NotFoundError(f"no booking with id {request.booking_id}")
    if booking["graph"] == GROUP_OWNER:
        klass = _still_there(tx.seats.read_class(conn, booking["id"]), request)
        return klass, klass
    locked = _still_there(tx.seats.read_class(conn, booking["owner_booking_id"]), request)
    klass = serve_line(tx, locked, now)
    return _still_there(queries.read_booking(conn, request.booking_id), request), klass


def _still_there(row: Mapping[Any, Any] | None, request: ActionRequest) -> Row:
    """The row read under the class's lock. The booking was read before that lock, so a
    deletion of its (final) class may have committed in between: then it is gone, as if it
    had been deleted before the action came."""
    if row is None:
        raise NotFoundError(f"no booking with id {request.booking_id}")
    return dict(row)


def _cascade_to_seat_bookings(
    tx: CommandTx, klass: Row, request: ActionRequest, now: datetime
) -> tuple[SeatCounts, list[Row]]:
    """The class's action carried to its seat bookings (confirmed, waiting, offered), a few
    statements each; (the change to the class's seat counts, their logs)."""
    change, logs = SeatCounts(), []
    tracks_attendance = bool(klass.get("track_attendance"))
    for cascade in cascades_of(request.action, tracks_attendance=tracks_attendance):
        moved = queries.move_seat_bookings_of_class(
            tx.connection,
            klass["id"],
            from_state=cascade.from_state,
            to_state=cascade.to_state,
            now=now,
        )
        for row in moved:
            change = change + change_of(cascade.from_state, cascade.to_state, row["seats"])
        announcements = [
            (row, _notices(cascade.seat_action, klass, row, request.message)) for row in moved
        ]
        stage(tx, announcements, klass=klass, now=now)
        logs += [
            queries.log_entry(
                row["id"],
                cascade.seat_action,
                cascade.from_state,
                cascade.to_state,
                request.message,
                now,
            )
            for row in moved
        ]
    return change, logs


def _notices(
    seat_action: str, klass: Mapping[Any, Any], seat: Mapping[Any, Any], message: str | None
) -> list[Notice]:
    return notices_for(
        seat_action, owner=owner_of(klass), customer=customer_of(seat), message=message
    )


APPLY_ACTION = Command("apply_action", apply=apply_action)
