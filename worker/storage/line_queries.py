"""Reads and writes of a class's waitlist (its line): entries in order, offers, the sweep's pick.

Every write here runs with the class row locked by the command (or the sweep), so the line
it reads is the line it changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, RowMapping, and_, func, or_, select, update

from ..domain.graphs import GROUP_CUSTOMER, GROUP_OWNER, IN_LINE_STATES, State
from .tables import bookings


def read_waiting(
    conn: Connection, class_id: UUID, *, fitting: int, limit: int | None = None
) -> Sequence[RowMapping]:
    """The class's waiting entries (not offered ones) of at most `fitting` seats, in order of
    arrival (the first `limit` if given), with the columns a promotion reads: a long line is
    many rows, and converting every column of each cost more than the rest of the promotion."""
    query = (
        select(bookings.c.id, bookings.c.seats, bookings.c.state, bookings.c.line_number)
        .where(
            bookings.c.owner_booking_id == class_id,
            bookings.c.state == State.WAITLISTED,
            bookings.c.seats <= fitting,
        )
        .order_by(bookings.c.line_number)
        .limit(limit)
    )
    return conn.execute(query).mappings().all()


def read_line(conn: Connection, class_id: UUID) -> Sequence[RowMapping]:
    """The class's waiting and offered entries, in order of arrival."""
    query = (
        select(bookings)
        .where(bookings.c.owner_booking_id == class_id, bookings.c.state.in_(IN_LINE_STATES))
        .order_by(bookings.c.line_number)
    )
    return conn.execute(query).mappings().all()


def position_in_line(conn: Connection, entry: Mapping[Any, Any]) -> int:
    """1-based, among the class's waiting entries (offered ones are not counted)."""
    query = select(func.count()).where(
        bookings.c.owner_booking_id == entry["owner_booking_id"],
        bookings.c.state == State.WAITLISTED,
        bookings.c.line_number <= entry["line_number"],
    )
    return int(conn.execute(query).scalar_one())


def move_entries(
    conn: Connection,
    ids: Sequence[UUID],
    *,
    from_state: str,
    to_state: str,
    now: datetime,
    offer_expires_at: datetime | None = None,
) -> Sequence[RowMapping]:
    """Move these entries if still in `from_state`; each moved, as it now is."""
    if not ids:
        return []
    statement = (
        update(bookings)
        .where(bookings.c.id.in_(list(ids)), bookings.c.state == from_state)
        .values(state=to_state, updated_at=now, offer_expires_at=offer_expires_at)
        .returning(*bookings.c)
    )
    return _in_line_order(conn.execute(statement).mappings().all())


def expire_offers_of_class(conn: Connection, class_id: UUID, now: datetime) -> Sequence[RowMapping]:
    """Offers of this class past their deadline, moved to offer_expired."""
    statement = (
        update(bookings)
        .where(
            bookings.c.owner_booking_id == class_id,
            bookings.c.state == State.OFFERED,
            bookings.c.offer_expires_at <= now,
        )
        .values(state=State.OFFER_EXPIRED, updated_at=now)
        .returning(*bookings.c)
    )
    return _in_line_order(conn.execute(statement).mappings().all())


def close_line_of_class(conn: Connection, class_id: UUID, now: datetime) -> Sequence[RowMapping]:
    """Every waiting or offered entry of the class, moved to waitlist_expired (as it was)."""
    line = read_line(conn, class_id)
    statement = (
        update(bookings)
        .where(bookings.c.owner_booking_id == class_id, bookings.c.state.in_(IN_LINE_STATES))
        .values(state=State.WAITLIST_EXPIRED, updated_at=now)
    )
    conn.execute(statement)
    return line


def _in_line_order(rows: Sequence[RowMapping]) -> Sequence[RowMapping]:
    return sorted(rows, key=lambda row: row["line_number"])


def lock_classes_to_sweep(conn: Connection, now: datetime, limit: int) -> list[UUID]:
    """Up to `limit` classes with an offer past its deadline, or with a line although they can
    no longer be booked; row-locked, skipping classes another transaction holds (a second
    sweep, or a command that will serve the line itself)."""
    classes = bookings.alias("classes")
    entries = select(bookings.c.owner_booking_id).where(
        bookings.c.graph == GROUP_CUSTOMER,
        bookings.c.state.in_(IN_LINE_STATES),
        or_(
            and_(bookings.c.state == State.OFFERED, bookings.c.offer_expires_at <= now),
            bookings.c.owner_booking_id.in_(
                select(classes.c.id).where(
                    classes.c.graph == GROUP_OWNER,
                    or_(classes.c.state != State.TENTATIVE, classes.c.booking_closes_at < now),
                )
            ),
        ),
    )
    query = (
        select(bookings.c.id)
        .where(bookings.c.graph == GROUP_OWNER, bookings.c.id.in_(entries))
        .order_by(bookings.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(conn.execute(query).scalars())


def move_to_class(
    conn: Connection, booking_id: UUID, *, from_class: UUID, to_class: UUID, now: datetime
) -> bool:
    """Move a confirmed seat booking to another class; False if it was no longer there."""
    statement = (
        update(bookings)
        .where(
            bookings.c.id == booking_id,
            bookings.c.owner_booking_id == from_class,
            bookings.c.state == State.CONFIRMED,
        )
        .values(owner_booking_id=to_class, updated_at=now)
    )
    return conn.execute(statement).rowcount == 1
