"""apply_action: cancel or complete a class (with its seat bookings), or one seat booking."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import RowMapping

from api_client.contract.requests import ActionRequest
from api_client.errors import ConflictError, NotFoundError

from ..domain.graphs import CASCADE_TO_SEATS, GROUP_OWNER
from ..domain.notifications import Notice, notices_for
from ..domain.transitions import decide_action, releases_seats
from ..outbox import CommandTx, customer_of, owner_of, stage
from ..storage import queries
from .deps import HandlerDeps
from .idempotency import Result, apply_once
from .reads import present_booking


def apply_action(key: str, request: ActionRequest, *, deps: HandlerDeps, now: datetime) -> Result:
    return apply_once(
        deps.unit_of_work,
        key=key,
        command="apply_action",
        request=request.model_dump(mode="json"),
        now=now,
        apply=lambda tx: _apply(tx, request, deps.channels, now),
        on_commit=deps.dispatch,
    )


def _apply(tx: CommandTx, request: ActionRequest, channels: Sequence[str], now: datetime) -> Result:
    booking_id = transition(tx, request, channels, now)
    return present_booking(tx.connection, booking_id, include=("attributes", "related_bookings"))


def transition(
    tx: CommandTx, request: ActionRequest, channels: Sequence[str], now: datetime
) -> UUID:
    """Apply one action inside the caller's transaction: the graph's edge, its cascade to seat
    bookings, seats released, logs and notifications staged. Returns the booking's id."""
    conn = tx.connection
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
        class_end=klass["ends_at"],
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
        logs += _cascade_to_seat_bookings(tx, klass, request, channels, now)
    else:
        if releases_seats(booking["state"], to_state):
            queries.release_seats(conn, class_id, booking["seats"], now)
        moved = {**booking, "state": to_state, "updated_at": now}
        notices = _notices(request.action, klass, moved, request.message)
        stage(tx, [(moved, notices)], klass=klass, channels=channels, now=now)
    queries.append_logs(conn, logs)
    booking_id: UUID = booking["id"]
    return booking_id


def _cascade_to_seat_bookings(
    tx: CommandTx,
    klass: RowMapping,
    request: ActionRequest,
    channels: Sequence[str],
    now: datetime,
) -> list[dict[str, Any]]:
    """The class's action carried to every confirmed seat booking in it, in a few statements."""
    seat_action, to_state = CASCADE_TO_SEATS[request.action]
    moved = queries.move_seat_bookings_of_class(
        tx.connection, klass["id"], from_state="confirmed", to_state=to_state, now=now
    )
    if releases_seats("confirmed", to_state):
        queries.release_seats(tx.connection, klass["id"], sum(row["seats"] for row in moved), now)
    announcements = [(row, _notices(seat_action, klass, row, request.message)) for row in moved]
    stage(tx, announcements, klass=klass, channels=channels, now=now)
    return [
        queries.log_entry(row["id"], seat_action, "confirmed", to_state, request.message, now)
        for row in moved
    ]


def _notices(
    seat_action: str, klass: Mapping[Any, Any], seat: Mapping[Any, Any], message: str | None
) -> list[Notice]:
    return notices_for(
        seat_action, owner=owner_of(klass), customer=customer_of(seat), message=message
    )
