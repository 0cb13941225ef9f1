"""A term booking: the same seats in every open, bookable class of a series, all or nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from api_client.contract.requests import GroupCustomerBooking
from api_client.errors import ConflictError, NotFoundError

from ..domain.errors import NotEnoughSeatsError
from ..domain.seats import check_can_book, is_bookable_now
from ..outbox import CommandTx, StagedDelivery
from ..presenter import booking_data
from ..storage import queries
from .allocation import allocate, class_for_booking, snapshot_of
from .deps import HandlerDeps
from .idempotency import Result, apply_once


def book_term(key: str, body: GroupCustomerBooking, *, deps: HandlerDeps, now: datetime) -> Result:
    series_id = body.related.series_id
    assert series_id is not None
    with deps.read_only() as uow:
        if not queries.series_exists(uow.connection, series_id):
            raise NotFoundError(f"no series with id {series_id}")
        class_ids = queries.open_classes_of_series(uow.connection, series_id, None)
    staged: list[StagedDelivery] = []
    with deps.locks.holding_all(class_ids):
        result = apply_once(
            deps.unit_of_work,
            key=key,
            command="book_term",
            request=body.model_dump(mode="json"),
            now=now,
            apply=lambda tx: _book(tx, body, class_ids, deps, now),
            on_commit=staged.extend,
        )
    deps.dispatch(staged)
    return result


def _book(
    tx: CommandTx,
    body: GroupCustomerBooking,
    class_ids: list[UUID],
    deps: HandlerDeps,
    now: datetime,
) -> Result:
    seats, booked = body.requested_seats, []
    for class_id in class_ids:  # in the order their locks were taken
        klass = class_for_booking(tx.connection, class_id, deps)
        if not is_bookable_now(snapshot_of(klass), now):
            continue  # started, closed, or not yet open: not part of what a term books now
        try:
            check_can_book(snapshot_of(klass), seats, now)
        except NotEnoughSeatsError as refusal:
            when = klass["starts_at"].isoformat()
            raise ConflictError(f"the class on {when} ({class_id}): {refusal}") from None
        values, klass_after = allocate(tx, klass, seats, body.customer, deps, now)
        booked.append(booking_data(values, klass=klass_after, include=("attributes",)))
    if not booked:
        raise ConflictError("no class of this series can be booked now")
    booked.sort(key=_start_of)
    return {"data": {"series_id": str(body.related.series_id), "bookings": booked}}


def _start_of(booking: dict[str, Any]) -> str:
    return str(booking["attributes"]["event_info"]["start"])
