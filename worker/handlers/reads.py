"""Queries: one booking with its includes; the public list of open classes."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection, RowMapping

from api_client.contract.requests import BookingQuery, GroupsQuery
from api_client.errors import NotFoundError

from ..domain.graphs import GROUP_OWNER
from ..presenter import booking_data, public_class_data
from ..storage import queries
from ..storage.outbox_queries import read_notifications
from .deps import HandlerDeps
from .idempotency import Result


def get_booking(query: BookingQuery, *, deps: HandlerDeps) -> Result:
    with deps.read_only() as uow:
        return present_booking(uow.connection, query.booking_id, include=query.include)


def list_groups(query: GroupsQuery, *, deps: HandlerDeps) -> Result:
    with deps.read_only() as uow:
        rows = queries.read_open_classes(uow.connection, query.start, query.end, query.series_id)
    return {"data": [public_class_data(row) for row in rows]}


def present_booking(conn: Connection, booking_id: object, include: Collection[str]) -> Result:
    """A booking as get_booking shows it, read inside the caller's transaction."""
    booking = queries.read_booking(conn, booking_id)  # type: ignore[arg-type]
    if booking is None:
        raise NotFoundError(f"no booking with id {booking_id}")
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
