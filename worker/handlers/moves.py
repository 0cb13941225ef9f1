"""Moving a confirmed seat booking, same id and seats, to another class with room."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from api_client.contract.requests import MoveRequest

from ..domain.errors import ChangedConcurrentlyError, InvalidCommandError, NotFoundError
from ..domain.graphs import CUSTOMER_GRAPH, GROUP_CUSTOMER
from ..domain.notifications import moved_notices
from ..domain.seats import check_can_book
from ..domain.waitlist import SeatCounts
from ..outbox import CommandTx, customer_of, owner_of, stage
from ..presenter import booking_data
from ..storage import line_queries, queries
from .allocation import class_for_booking, snapshot_of
from .command import Command, ReadOnly, Result
from .line import serve_line

DETAIL = ("attributes", "related_bookings")


def move_booking(tx: CommandTx, request: MoveRequest, now: datetime) -> Result:
    """Both classes locked in id order; the target is served first (a move never jumps its
    line), the source's freed seats go to its line in the same transaction."""
    conn = tx.connection
    booking = _seat_booking(tx, request.booking_id)
    source_id, target_id = booking["owner_booking_id"], request.owner_booking_id
    if source_id == target_id:
        raise InvalidCommandError({"owner_booking_id": ["is the class this booking is in"]})
    locked = {cid: class_for_booking(tx, cid) for cid in sorted((source_id, target_id))}
    booking = _seat_booking(tx, request.booking_id)  # as it is under the locks
    if booking["owner_booking_id"] != source_id:
        raise ChangedConcurrentlyError("the booking moved while this move was applied; try again")
    source = serve_line(tx, locked[source_id], now)
    target = serve_line(tx, locked[target_id], now)
    CUSTOMER_GRAPH.next_state(_state_of(tx, booking), "move")  # confirmed seats only
    seats = booking["seats"]
    check_can_book(snapshot_of(target), seats, now)
    if not tx.seats.take(conn, target, seats, now):
        raise ChangedConcurrentlyError("the class changed while the booking moved; try again")
    target = {**target, "current_seats": target["current_seats"] + seats, "updated_at": now}
    if not line_queries.move_to_class(
        conn, booking["id"], from_class=source_id, to_class=target_id, now=now
    ):
        raise ChangedConcurrentlyError("the booking changed while it moved; try again")
    tx.seats.count(conn, source, SeatCounts(held=-seats), now)
    source = {**source, "current_seats": source["current_seats"] - seats, "updated_at": now}
    moved = {**booking, "owner_booking_id": target_id, "updated_at": now}
    details = {"from_class": str(source_id), "to_class": str(target_id)}
    state = booking["state"]
    queries.append_logs(
        conn,
        [queries.log_entry(booking["id"], "move", state, state, request.message, now, details)],
    )
    notices = moved_notices(
        customer=customer_of(moved),
        owners=[owner_of(target), owner_of(source)],
        message=request.message,
    )
    stage(tx, [(moved, notices)], klass=target, now=now)
    serve_line(tx, source, now)
    return {"data": booking_data(moved, klass=target, include=DETAIL, related=[target])}


def _seat_booking(tx: CommandTx, booking_id: UUID) -> dict[str, Any]:
    booking = queries.read_booking(tx.connection, booking_id)
    if booking is None or booking["graph"] != GROUP_CUSTOMER:
        raise NotFoundError(f"no seat booking with id {booking_id}")
    return dict(booking)


def _state_of(tx: CommandTx, booking: dict[str, Any]) -> str:
    """The booking's state after its class's line was served (an offer may have lapsed)."""
    now_row = _seat_booking(tx, booking["id"])
    return str(now_row["state"])


def _classes(request: MoveRequest, read_only: ReadOnly) -> list[UUID]:
    """Both classes, read before their locks are taken (and checked again under them)."""
    with read_only() as uow:
        booking = queries.read_booking(uow.connection, request.booking_id)
    if booking is None or booking["graph"] != GROUP_CUSTOMER:
        raise NotFoundError(f"no seat booking with id {request.booking_id}")
    return sorted({booking["owner_booking_id"], request.owner_booking_id})


MOVE_BOOKING = Command("move_booking", apply=move_booking, locks=_classes)
