"""The public reads of classes: open ones, still bookable, filtered as Timekit's search asks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, RowMapping, Select, and_, func, or_, select
from sqlalchemy.engine import Connection

from ..domain.graphs import GROUP_OWNER, State
from .tables import bookings

c = bookings.c

# Timekit's search keys on the public list, as columns. A class's public resource id is its
# resource_id, else its calendar (what `resource.id` shows), so that is what it matches.
_GROUP_TERMS: Mapping[str, Any] = {
    "project.id": c.project_id,
    "resource.id": func.coalesce(c.resource_id, c.calendar_id),
    "calendar_id": c.calendar_id,
}


def bookable_classes(now: datetime) -> Select[Any]:
    """Tentative classes whose booking window is still open at `now`."""
    return select(bookings).where(
        c.graph == GROUP_OWNER,
        c.state == State.TENTATIVE,
        or_(c.booking_closes_at.is_(None), c.booking_closes_at > now),
    )


def read_open_classes(
    conn: Connection,
    now: datetime,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    series_id: UUID | None = None,
    search: Mapping[str, str] | None = None,
    available: bool = False,
) -> Sequence[RowMapping]:
    """Bookable classes overlapping [start, end), matching `search`, by start time; only those
    with a seat free if `available` (a class full but for its line counts as full)."""
    query = bookable_classes(now)
    conditions: list[ColumnElement[bool]] = [
        _GROUP_TERMS[key] == value for key, value in (search or {}).items()
    ]
    if series_id is not None:
        conditions.append(c.series_id == series_id)
    if start is not None:
        conditions.append(c.ends_at > start)
    if end is not None:
        conditions.append(c.starts_at < end)
    if available:
        conditions.append(c.current_seats + c.offered_seats < c.max_seats)
    if conditions:
        query = query.where(and_(*conditions))
    return conn.execute(query.order_by(c.starts_at, c.id)).mappings().all()


def read_open_class(conn: Connection, class_id: UUID, now: datetime) -> RowMapping | None:
    query = bookable_classes(now).where(c.id == class_id)
    return conn.execute(query).mappings().first()
