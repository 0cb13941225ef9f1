"""Queries: one booking with its includes (the public list is in groups.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping

from api_client.contract.requests import BookingQuery

from ..customer_links import CustomerLinks
from ..domain.errors import NotFoundError
from ..domain.graphs import GROUP_OWNER, State
from ..presenter import booking_data
from ..storage import line_queries, queries
from ..storage.outbox_queries import read_notifications
from .attendance import attendance_of, cancel_policy_of
from .command import Query, Result


def get_booking(
    conn: Connection,
    query: BookingQuery,
    links: CustomerLinks | None = None,
    now: datetime | None = None,
) -> Result:
    """A booking with the includes asked for (Timekit's event, calendar and user show nothing
    more than attributes does, and are ignored); `links` signs customer_action_links; `now`
    judges cancel_policy."""
    include = query.include
    booking = queries.read_booking(conn, query.booking_id)
    if booking is None:
        raise NotFoundError(f"no booking with id {query.booking_id}")
    is_class = booking["graph"] == GROUP_OWNER
    klass = booking if is_class else queries.read_booking(conn, booking["owner_booking_id"])
    assert klass is not None, "a seat booking always has its class"
    related: list[RowMapping] = []
    if "related_bookings" in include:
        related = list(queries.read_seat_bookings(conn, booking["id"])) if is_class else [klass]
    logs = queries.read_logs(conn, booking["id"]) if "logs" in include else ()
    notifications = read_notifications(conn, booking["id"]) if "notifications" in include else ()
    line = waitlist_of(conn, booking["id"]) if is_class and "waitlist" in include else None
    customers: Sequence[Mapping[Any, Any]] = ()
    if "customers" in include:
        customers = queries.read_seated_bookings(conn, booking["id"]) if is_class else [booking]
    signed = None
    if links is not None and "customer_action_links" in include:
        signed = links.for_row(booking, klass)
    attendance = attendance_of(conn, klass) if is_class and "attendance" in include else None
    policy = None
    if not is_class and now is not None and "cancel_policy" in include:
        policy = cancel_policy_of(booking, klass, now)
    data = booking_data(
        with_place(conn, booking),
        klass=klass,
        include=include,
        related=related,
        logs=logs,
        notifications=notifications,
        waitlist=line,
        customers=customers,
        action_links=signed,
        attendance=attendance,
        cancel_policy=policy,
    )
    return {"data": data}


def with_place(conn: Connection, booking: Mapping[Any, Any]) -> dict[str, Any]:
    """The booking, with its position in line if it waits."""
    shown = dict(booking)
    if booking["state"] == State.WAITLISTED and "position" not in booking:
        shown["position"] = line_queries.position_in_line(conn, booking)
    return shown


def waitlist_of(conn: Connection, class_id: Any) -> list[dict[str, Any]]:
    """The class's waiting and offered entries in order of arrival, waiting ones numbered."""
    entries, position = [], 0
    for row in line_queries.read_line(conn, class_id):
        entry = dict(row)
        if row["state"] == State.WAITLISTED:
            position += 1
            entry["position"] = position
        entries.append(entry)
    return entries


GET_BOOKING = Query(get_booking, read_linked=get_booking, read_at=get_booking)
