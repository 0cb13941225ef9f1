"""The owner's list of bookings (GET /bookings): Timekit's search, in its pagination envelope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, RowMapping

from api_client.contract.requests import BookingSearch
from api_client.contract.search import page_cursor, page_url, read_cursor

from ..presenter import booking_data
from ..storage import search_queries
from .command import Query, Result


def search_bookings(conn: Connection, query: BookingSearch) -> Result:
    """A page of the bookings matching every term, by (created_at, id), with the total."""
    where = search_queries.matching(conn.dialect.name, query.search)
    total = search_queries.count(conn, where)
    rows = search_queries.read_page(
        conn,
        where,
        query.limit,
        after=None if query.after is None else read_cursor(query.after),
        before=None if query.before is None else read_cursor(query.before),
        offset=(query.page - 1) * query.limit,
    )
    last_page = max(1, -(-total // query.limit))
    return {
        "data": [booking_data(row) for row in rows],
        "total": total,
        "per_page": query.limit,
        "current_page": query.page,
        "last_page": last_page,
        "next_page_url": _beside(query, rows, query.page + 1, last_page),
        "prev_page_url": _beside(query, rows, query.page - 1, last_page),
    }


def _beside(query: BookingSearch, rows: Any, page: int, last_page: int) -> str | None:
    """The URL of page `page` with the cursor that seeks to it from this page's rows."""
    if page < 1 or page > last_page:
        return None
    if not rows:
        return page_url(query.search, query.limit, page)
    if page > query.page:
        return page_url(query.search, query.limit, page, after=_cursor(rows[-1]))
    return page_url(query.search, query.limit, page, before=_cursor(rows[0]))


def _cursor(row: RowMapping) -> str:
    return page_cursor(row["created_at"], row["id"])


SEARCH_BOOKINGS = Query(search_bookings)
