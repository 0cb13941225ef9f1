"""Deleting a booking in a final state: a seat booking alone, a class with all its seats."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from api_client.contract.requests import DeleteRequest

from ..domain.deletion import (
    change_on_deletion,
    check_can_delete_class,
    check_can_delete_seat_booking,
)
from ..domain.errors import NotFoundError
from ..domain.graphs import GROUP_OWNER
from ..outbox import CommandTx
from ..storage import deletion_queries, queries
from .command import Command, ReadOnly, Result


def delete_booking(tx: CommandTx, request: DeleteRequest, now: datetime) -> Result:
    """Remove the booking, its logs and outbox rows (a class's seat bookings with it), in this
    command's one transaction. The class's row is locked first, so no seat is booked, moved or
    promoted into it meanwhile; a seat booking is read again under that lock."""
    found = queries.read_booking(tx.connection, request.booking_id)
    if found is None:
        raise _not_found(request.booking_id)
    class_id = found["id"] if found["graph"] == GROUP_OWNER else found["owner_booking_id"]
    klass = tx.seats.read_class(tx.connection, class_id)
    booking = klass if class_id == found["id"] else queries.read_booking(tx.connection, found["id"])
    if klass is None or booking is None:  # deleted by another command meanwhile
        raise _not_found(request.booking_id)
    if booking is klass:
        seats = queries.read_seat_bookings(tx.connection, class_id)
        check_can_delete_class(klass["state"], [seat["state"] for seat in seats])
        deleted = [seat["id"] for seat in seats] + [class_id]
    else:
        check_can_delete_seat_booking(booking["state"])
        change = change_on_deletion(booking["state"], booking["seats"])
        tx.seats.count(tx.connection, klass, change, now)  # a completed seat leaves the count
        deleted = [booking["id"]]
    deletion_queries.delete_bookings(tx.connection, deleted)
    return {"data": _deleted(booking, deleted)}


def _deleted(booking: Mapping[Any, Any], deleted: list[UUID]) -> dict[str, Any]:
    return {
        "id": str(booking["id"]),
        "graph": booking["graph"],
        "state": booking["state"],
        "deleted": True,
        "deleted_booking_ids": [str(booking_id) for booking_id in deleted],
    }


def _not_found(booking_id: UUID) -> NotFoundError:
    return NotFoundError(f"no booking with id {booking_id}")


def _its_class(request: DeleteRequest, read_only: ReadOnly) -> list[UUID]:
    """The class of the booking (or the class itself), read before its lock is taken. None
    for a booking that is gone: a replay of its deletion answers from its key, and anything
    else is refused as not found under the key."""
    with read_only() as uow:
        booking = queries.read_booking(uow.connection, request.booking_id)
    if booking is None:
        return []
    return [booking["id"] if booking["graph"] == GROUP_OWNER else booking["owner_booking_id"]]


DELETE_BOOKING = Command("delete_booking", apply=delete_booking, locks=_its_class)
