"""The owner's list: bookings matching Timekit's search terms, a page at a time by (created_at, id).

A page named by a cursor (the row just before or after it) is a seek: an index range scan
from the cursor that stops after `limit` rows, the same work at row 100 as at row 100,000.
A page named only by its number skips the rows before it; the skip reads ids from the
covering index alone and joins the page's `limit` rows after it (a deferred join), but it is
still linear in the rows skipped. next_page_url and prev_page_url always carry a cursor.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    RowMapping,
    Select,
    and_,
    bindparam,
    cast,
    exists,
    func,
    literal,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection

from api_client.contract.search import META_PREFIX

from .tables import bookings

c = bookings.c
_COLUMNS: Mapping[str, Any] = {
    "graph": c.graph,
    "state": c.state,
    "calendar_id": c.calendar_id,
    "customer.email": c.customer_email,
    "project.id": c.project_id,
    "resource.id": c.resource_id,
}
_ORDER = (c.created_at, c.id)
Cursor = tuple[datetime, UUID]


def matching(dialect: str, search: Mapping[str, str]) -> ColumnElement[bool]:
    """All the terms; meta.<key> matches a string value equal to the term's."""
    terms: list[ColumnElement[bool]] = []
    for key, value in search.items():
        if key.startswith(META_PREFIX):
            terms.append(_meta_is(dialect, key.removeprefix(META_PREFIX), value))
        else:
            terms.append(_COLUMNS[key] == value)
    return and_(true(), *terms)


def _meta_is(dialect: str, key: str, value: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        # Containment, which the GIN index on meta::jsonb answers (migration 0006).
        wanted = literal(json.dumps({key: value}))
        return cast(c.meta, JSONB).op("@>")(cast(wanted, JSONB))
    entries = func.json_each(c.meta).table_valued("key", "value", "type")
    return exists(
        select(1)
        .select_from(entries)
        .where(entries.c.key == key, entries.c.type == "text", entries.c.value == value)
    )


def count(conn: Connection, where: ColumnElement[bool]) -> int:
    return int(conn.execute(select(func.count()).select_from(bookings).where(where)).scalar_one())


def page_after(where: ColumnElement[bool], cursor: Cursor, limit: int) -> Select[Any]:
    """The `limit` rows after `cursor`, in order: a seek."""
    return (
        select(bookings)
        .where(where, tuple_(*_ORDER) > tuple_(*_bound(cursor)))
        .order_by(*_ORDER)
        .limit(limit)
    )


def page_before(where: ColumnElement[bool], cursor: Cursor, limit: int) -> Select[Any]:
    """The `limit` rows before `cursor`, nearest first: a seek backwards (reverse them)."""
    return (
        select(bookings)
        .where(where, tuple_(*_ORDER) < tuple_(*_bound(cursor)))
        .order_by(c.created_at.desc(), c.id.desc())
        .limit(limit)
    )


def page_at(where: ColumnElement[bool], offset: int, limit: int) -> Select[Any]:
    """The page `offset` rows in: ids skipped on the index alone, then `limit` rows joined."""
    ids = select(c.id).where(where).order_by(*_ORDER).limit(limit).offset(offset).subquery()
    return select(bookings).join(ids, c.id == ids.c.id).order_by(*_ORDER)


def _bound(cursor: Cursor) -> tuple[Any, Any]:
    created_at, booking_id = cursor
    return (
        bindparam("cursor_created_at", created_at, type_=c.created_at.type),
        bindparam("cursor_id", booking_id, type_=c.id.type),
    )


def read_page(
    conn: Connection,
    where: ColumnElement[bool],
    limit: int,
    *,
    after: Cursor | None = None,
    before: Cursor | None = None,
    offset: int = 0,
) -> Sequence[RowMapping]:
    if after is not None:
        return conn.execute(page_after(where, after, limit)).mappings().all()
    if before is not None:
        return list(reversed(conn.execute(page_before(where, before, limit)).mappings().all()))
    return conn.execute(page_at(where, offset, limit)).mappings().all()
