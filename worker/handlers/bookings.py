"""Creating a class, and booking seats in one."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from api_client.contract.durations import parse_duration_s
from api_client.contract.requests import GroupCustomerBooking, GroupOwnerBooking

from ..domain.graphs import GROUP_OWNER, OWNER_GRAPH
from ..domain.reminders import ordered_offsets
from ..domain.waitlist import Place, place_for
from ..domain.windows import BookingWindow
from ..outbox import CommandTx
from ..presenter import booking_data
from ..storage import queries, reminder_queries
from .allocation import allocate, class_for_booking, snapshot_of
from .booking_fields import check_event_matches, seat_booking_columns, timekit_columns
from .command import Command, ReadOnly, Result
from .line import join_line, serve_line

DETAIL = ("attributes", "related_bookings")


def create_class(tx: CommandTx, body: GroupOwnerBooking, now: datetime) -> Result:
    values = class_values(body, start=body.event.start, end=body.event.end, now=now)
    queries.insert_booking(tx.connection, values)
    reminder_queries.schedule(tx.connection, [values])
    queries.append_logs(
        tx.connection, [queries.log_entry(values["id"], "create", None, values["state"], None, now)]
    )
    return {"data": booking_data(values, include=DETAIL)}


def class_values(
    body: GroupOwnerBooking,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    series_id: uuid.UUID | None = None,
    series_zone: str | None = None,
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
        "event_timezone": event.timezone or series_zone,
        "max_seats": settings.max_seats,
        "current_seats": 0,
        "min_cancel_s": _seconds(settings.min_cancel_time),
        "min_booking_s": _seconds(settings.min_booking_time),
        "max_booking_s": _seconds(settings.max_booking_time),
        "auto_complete": settings.auto_complete,
        "owner_name": body.owner.name if body.owner else None,
        "owner_email": body.owner.email if body.owner else None,
        "booking_closes_at": BookingWindow.for_class(
            start, _seconds(settings.min_booking_time), None
        ).closes_at,
        "waitlist_size": settings.waitlist_size,
        "waitlist_promotion": settings.waitlist_promotion,
        "offer_s": parse_duration_s(settings.offer_time),
        "waitlist_seats": 0,
        "offered_seats": 0,
        "line_arrivals": 0,
        "track_attendance": settings.track_attendance,
        "late_cancel": settings.late_cancel,
        "reminder_offsets_s": ordered_offsets(map(parse_duration_s, settings.reminders)) or None,
        **timekit_columns(body),
    }


def book_seats(tx: CommandTx, body: GroupCustomerBooking, now: datetime) -> Result:
    # The line is served first: a newcomer gets only seats no earlier waiting entry fits.
    locked = class_for_booking(tx, _class_of(body))
    check_event_matches(body, locked)
    klass = serve_line(tx, locked, now)
    seats, booker = body.requested_seats, seat_booking_columns(body)
    place = place_for(snapshot_of(klass), seats, now, wants_waitlist=body.waitlist)
    if place is Place.WAITLIST:
        values, klass_after = join_line(tx, klass, seats, booker, now)
    else:
        values, klass_after = allocate(tx, klass, seats, booker, now)
    data = booking_data(values, klass=klass_after, include=DETAIL, related=[klass_after])
    return {"data": data}


def _class_of(body: GroupCustomerBooking) -> uuid.UUID:
    assert body.related.owner_booking_id is not None, "the contract asks for a class or a series"
    return body.related.owner_booking_id


def _class_to_lock(body: GroupCustomerBooking, _read_only: ReadOnly) -> list[uuid.UUID]:
    return [_class_of(body)]


def _seconds(duration: str | None) -> int | None:
    return None if duration is None else parse_duration_s(duration)


CREATE_CLASS = Command("create_class", apply=create_class)
BOOK_SEATS = Command("book_seats", apply=book_seats, locks=_class_to_lock, applied_together=True)
