"""A term booking: the same seats in every open, bookable class of a series, all or nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from api_client.contract.requests import GroupCustomerBooking

from ..domain.errors import NoBookableClassError, NotEnoughSeatsError, NotFoundError
from ..domain.seats import check_can_book, is_bookable_now
from ..outbox import CommandTx
from ..presenter import booking_data
from ..storage import queries
from .allocation import allocate, class_for_booking, snapshot_of
from .booking_fields import seat_booking_columns
from .command import Command, ReadOnly, Result
from .line import serve_line


def _series_of(body: GroupCustomerBooking) -> UUID:
    assert body.related.series_id is not None, "a term booking names its series"
    return body.related.series_id


def _classes_to_lock(body: GroupCustomerBooking, read_only: ReadOnly) -> list[UUID]:
    """The series' open classes, read before their locks are taken (and again under them)."""
    series_id = _series_of(body)
    with read_only() as uow:
        if not queries.series_exists(uow.connection, series_id):
            raise NotFoundError(f"no series with id {series_id}")
        return queries.open_classes_of_series(uow.connection, series_id, None)


def book_term(tx: CommandTx, body: GroupCustomerBooking, now: datetime) -> Result:
    series_id, seats, booked = _series_of(body), body.requested_seats, []
    booker = seat_booking_columns(body)
    # In id order, the order their locks were taken in.
    for class_id in queries.open_classes_of_series(tx.connection, series_id, None):
        klass = serve_line(tx, class_for_booking(tx, class_id), now)
        if not is_bookable_now(snapshot_of(klass), now):
            continue  # started, closed, or not yet open: not part of what a term books now
        try:
            check_can_book(snapshot_of(klass), seats, now)
        except NotEnoughSeatsError as refusal:
            when = klass["starts_at"].isoformat()
            where = f"the class on {when} ({class_id})"
            raise NotEnoughSeatsError(refusal.requested, refusal.left, where=where) from None
        values, klass_after = allocate(tx, klass, seats, booker, now)
        booked.append(booking_data(values, klass=klass_after, include=("attributes",)))
    if not booked:
        raise NoBookableClassError("no class of this series can be booked now")
    booked.sort(key=_start_of)
    return {"data": {"series_id": str(series_id), "bookings": booked}}


def _start_of(booking: dict[str, Any]) -> str:
    return str(booking["attributes"]["event_info"]["start"])


BOOK_TERM = Command("book_term", apply=book_term, locks=_classes_to_lock)
