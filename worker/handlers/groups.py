"""The public reads booking.js makes: the open classes (filtered) and one open class."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection

from api_client.contract.requests import GroupQuery, GroupsQuery

from ..domain.errors import NotFoundError
from ..presenter import public_class_data
from ..storage import group_queries
from .command import Query, Result


def list_groups(conn: Connection, query: GroupsQuery) -> Result:
    """Classes still open for booking now: full ones with their seats unless `available`."""
    rows = group_queries.read_open_classes(
        conn,
        datetime.now(UTC),
        start=query.start,
        end=query.end,
        series_id=query.series_id,
        search=query.search,
        available=query.available,
    )
    return {"data": [public_class_data(row) for row in rows]}


def get_group(conn: Connection, query: GroupQuery) -> Result:
    """One class the list would show; any other booking (a seat, a class closed, cancelled or
    past its window) is not found, so the public learns nothing of it."""
    row = group_queries.read_open_class(conn, query.booking_id, datetime.now(UTC))
    if row is None:
        raise NotFoundError(f"no open class with id {query.booking_id}")
    return {"data": public_class_data(row)}


LIST_GROUPS = Query(list_groups)
GET_GROUP = Query(get_group)
