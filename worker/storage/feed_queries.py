"""Reads and writes of calendar feeds: tokens by digest, and the rows a feed shows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, RowMapping, func, insert, select, update
from sqlalchemy.sql import ColumnElement

from ..domain.graphs import GROUP_CUSTOMER, GROUP_OWNER, State
from .tables import booking_logs, bookings, feed_tokens

# Tokens ---------------------------------------------------------------------------------------


def insert_token(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(feed_tokens).values(**values))


def find_token(conn: Connection, token_digest: str) -> RowMapping | None:
    """The token row with that digest, revoked or not: one unique-index lookup either way."""
    query = select(feed_tokens).where(feed_tokens.c.token_digest == token_digest)
    return conn.execute(query).mappings().first()


def revoke_token(conn: Connection, token_id: UUID, now: datetime) -> RowMapping | None:
    """The token row, revoked now unless it already was; None if there is no such token."""
    conn.execute(
        update(feed_tokens)
        .where(feed_tokens.c.id == token_id, feed_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    query = select(feed_tokens).where(feed_tokens.c.id == token_id)
    return conn.execute(query).mappings().first()


# What a feed shows ----------------------------------------------------------------------------


def _changes(booking_id: ColumnElement[Any]) -> Any:
    """How many log rows a booking has: every change to it writes one (its SEQUENCE)."""
    return (
        select(func.count())
        .where(booking_logs.c.booking_id == booking_id)
        .scalar_subquery()
        .label("changes")
    )


def read_calendar_classes(
    conn: Connection, calendar_id: str, since: datetime
) -> Sequence[RowMapping]:
    """Every class of the calendar starting at or after `since`, in any state, by start, with
    its zone as `timezone` (None when it has none) and its number of changes."""
    query = (
        select(bookings, bookings.c.event_timezone.label("timezone"), _changes(bookings.c.id))
        .where(
            bookings.c.graph == GROUP_OWNER,
            bookings.c.calendar_id == calendar_id,
            bookings.c.starts_at >= since,
        )
        .order_by(bookings.c.starts_at, bookings.c.id)
    )
    return conn.execute(query).mappings().all()


def read_confirmed_seats(
    conn: Connection, customer_email: str, since: datetime
) -> Sequence[RowMapping]:
    """A customer's confirmed seat bookings in classes starting at or after `since`, by start:
    the seat booking's id, seats, times and changes, with its class's event and time zone."""
    seat = bookings.alias("seat")
    klass = bookings.alias("class")
    query = (
        select(
            seat.c.id,
            seat.c.seats,
            seat.c.created_at,
            seat.c.updated_at,
            klass.c.starts_at,
            klass.c.ends_at,
            klass.c.what,
            klass.c.where,
            klass.c.description,
            klass.c.event_timezone.label("timezone"),
            _changes(seat.c.id),
        )
        .select_from(seat.join(klass, klass.c.id == seat.c.owner_booking_id))
        .where(
            seat.c.graph == GROUP_CUSTOMER,
            seat.c.customer_email == customer_email,
            seat.c.state == State.CONFIRMED,
            klass.c.starts_at >= since,
        )
        .order_by(klass.c.starts_at, seat.c.id)
    )
    return conn.execute(query).mappings().all()
