"""create_booking: a new class, or seats in one."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from api_client.contract.durations import parse_duration_s
from api_client.contract.requests import GroupCustomerBooking, GroupOwnerBooking

from ..domain.graphs import GROUP_OWNER, OWNER_GRAPH
from ..domain.seats import check_can_book
from ..outbox import CommandTx, StagedDelivery
from ..presenter import booking_data
from ..storage import queries
from .allocation import allocate, class_for_booking, snapshot_of
from .deps import HandlerDeps
from .idempotency import Result, apply_once
from .term import book_term

DETAIL = ("attributes", "related_bookings")


def create_booking(
    key: str, body: GroupOwnerBooking | GroupCustomerBooking, *, deps: HandlerDeps, now: datetime
) -> Result:
    request = body.model_dump(mode="json")
    if isinstance(body, GroupOwnerBooking):
        return apply_once(
            deps.unit_of_work,
            key=key,
            command="create_class",
            request=request,
            now=now,
            apply=lambda tx: create_class(tx.connection, body, now),
        )
    if body.related.series_id is not None:
        return book_term(key, body, deps=deps, now=now)
    assert body.related.owner_booking_id is not None
    staged: list[StagedDelivery] = []
    with deps.locks.holding(body.related.owner_booking_id):
        result = apply_once(
            deps.unit_of_work,
            key=key,
            command="book_seats",
            request=request,
            now=now,
            apply=lambda tx: book_seats(tx, body, deps, now),
            on_commit=staged.extend,
        )
    deps.dispatch(staged)  # after the lock is released: others may book meanwhile
    return result


def create_class(conn: Connection, body: GroupOwnerBooking, now: datetime) -> Result:
    values = class_values(body, start=body.event.start, end=body.event.end, now=now)
    queries.insert_booking(conn, values)
    queries.append_logs(
        conn, [queries.log_entry(values["id"], "create", None, values["state"], None, now)]
    )
    return {"data": booking_data(values, include=DETAIL)}


def class_values(
    body: GroupOwnerBooking,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    series_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """The row of a new class from its body, at the given time (one class of a series, maybe)."""
    settings, event = body.settings, body.event
    return {
        "id": uuid.uuid4(),
        "graph": GROUP_OWNER,
        "state": OWNER_GRAPH.initial_state,
        "created_at": now,
        "updated_at": now,
        "series_id": series_id,
        "starts_at": start,
        "ends_at": end,
        "what": event.what,
        "where": event.where,
        "calendar_id": event.calendar_id,
        "description": event.description,
        "max_seats": settings.max_seats,
        "current_seats": 0,
        "min_cancel_s": _seconds(settings.min_cancel_time),
        "min_booking_s": _seconds(settings.min_booking_time),
        "max_booking_s": _seconds(settings.max_booking_time),
        "auto_complete": settings.auto_complete,
        "owner_name": body.owner.name if body.owner else None,
        "owner_email": body.owner.email if body.owner else None,
    }


def book_seats(
    tx: CommandTx, body: GroupCustomerBooking, deps: HandlerDeps, now: datetime
) -> Result:
    assert body.related.owner_booking_id is not None
    klass = class_for_booking(tx.connection, body.related.owner_booking_id, deps)
    check_can_book(snapshot_of(klass), body.requested_seats, now)
    values, klass_after = allocate(tx, klass, body.requested_seats, body.customer, deps, now)
    data = booking_data(values, klass=klass_after, include=DETAIL, related=[klass_after])
    return {"data": data}


def _seconds(duration: str | None) -> int | None:
    return None if duration is None else parse_duration_s(duration)
