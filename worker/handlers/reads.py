"""Queries: one booking with its includes; the public list of open classes."""

from __future__ import annotations

from sqlalchemy import Connection, RowMapping

from api_client.contract.requests import BookingQuery, GroupsQuery

from ..domain.errors import NotFoundError
from ..domain.graphs import GROUP_OWNER
from ..presenter import booking_data, public_class_data
from ..storage import queries
from ..storage.outbox_queries import read_notifications
from .command import Query, Result


def get_booking(conn: Connection, query: BookingQuery) -> Result:
    """A booking with the includes asked for."""
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
    data = booking_data(
        booking,
        klass=klass,
        include=include,
        related=related,
        logs=logs,
        notifications=notifications,
    )
    return {"data": data}


def list_groups(conn: Connection, query: GroupsQuery) -> Result:
    rows = queries.read_open_classes(conn, query.start, query.end, query.series_id)
    return {"data": [public_class_data(row) for row in rows]}


GET_BOOKING = Query(get_booking)
LIST_GROUPS = Query(list_groups)
