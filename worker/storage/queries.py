"""Reads and writes of bookings, logs and command keys; each state change names its from-state."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, RowMapping, bindparam, delete, func, insert, select, update

from ..domain.graphs import GROUP_CUSTOMER, GROUP_OWNER, SEAT_HOLDING_STATES, State
from .tables import booking_logs, bookings, command_keys, series

# Statements on the booking path are built once: building one costs about as much CPU as
# executing it, and a booking runs several.
_FIND_COMMAND_KEY = select(command_keys).where(command_keys.c.key == bindparam("key"))
_RECORD_COMMAND_KEY = insert(command_keys)
_INSERT_BOOKING = insert(bookings)
_READ_BOOKING = select(bookings).where(bookings.c.id == bindparam("booking_id"))
_READ_BOOKING_FOR_UPDATE = _READ_BOOKING.with_for_update()
_READ_BOOKINGS_FOR_UPDATE = (
    select(bookings)
    .where(bookings.c.id.in_(bindparam("booking_ids", expanding=True)))
    .order_by(bookings.c.id)
    .with_for_update()
)
_APPEND_LOGS = insert(booking_logs)

# Command keys -------------------------------------------------------------------------------


def find_command_key(conn: Connection, key: str) -> RowMapping | None:
    return conn.execute(_FIND_COMMAND_KEY, {"key": key}).mappings().first()


def record_command_key(
    conn: Connection,
    *,
    key: str,
    command: str,
    request_hash: str,
    result: dict[str, Any],
    now: datetime,
) -> None:
    row = command_key_row(
        key=key, command=command, request_hash=request_hash, result=result, now=now
    )
    conn.execute(_RECORD_COMMAND_KEY, row)


def command_key_row(
    *, key: str, command: str, request_hash: str, result: dict[str, Any], now: datetime
) -> dict[str, Any]:
    return {
        "key": key,
        "command": command,
        "request_hash": request_hash,
        "result": result,
        "created_at": now,
    }


def record_command_keys(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(_RECORD_COMMAND_KEY, list(rows))


def forget_command_keys(conn: Connection, older_than: datetime, limit: int) -> int:
    """Delete up to `limit` keys recorded before `older_than`; how many went."""
    oldest = (
        select(command_keys.c.key)
        .where(command_keys.c.created_at < older_than)
        .limit(limit)
        .scalar_subquery()
    )
    return conn.execute(delete(command_keys).where(command_keys.c.key.in_(oldest))).rowcount


# Bookings -----------------------------------------------------------------------------------


def insert_booking(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(_INSERT_BOOKING, values)


def read_booking(
    conn: Connection, booking_id: UUID, *, for_update: bool = False
) -> RowMapping | None:
    """One booking; with `for_update` its row stays locked until the transaction ends."""
    query = _READ_BOOKING_FOR_UPDATE if for_update else _READ_BOOKING
    return conn.execute(query, {"booking_id": booking_id}).mappings().first()


def read_bookings_for_update(conn: Connection, booking_ids: Sequence[UUID]) -> Sequence[RowMapping]:
    """Bookings by id, their rows locked in id order (the order the class locks are taken in,
    so two transactions never wait for each other's rows)."""
    return (
        conn.execute(_READ_BOOKINGS_FOR_UPDATE, {"booking_ids": list(booking_ids)}).mappings().all()
    )


def read_seat_bookings(conn: Connection, class_id: UUID) -> Sequence[RowMapping]:
    query = (
        select(bookings)
        .where(bookings.c.owner_booking_id == class_id)
        .order_by(bookings.c.created_at, bookings.c.id)
    )
    return conn.execute(query).mappings().all()


def read_seated_bookings(conn: Connection, class_id: UUID) -> Sequence[RowMapping]:
    """The class's seat bookings that hold seats (confirmed), or held them in the class that
    ran (completed): the customers `include=customers` lists."""
    query = (
        select(bookings)
        .where(bookings.c.owner_booking_id == class_id, bookings.c.state.in_(SEAT_HOLDING_STATES))
        .order_by(bookings.c.created_at, bookings.c.id)
    )
    return conn.execute(query).mappings().all()


def insert_bookings(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(_INSERT_BOOKING, list(rows))


def move_state(
    conn: Connection,
    booking_id: UUID,
    *,
    from_state: str,
    to_state: str,
    now: datetime,
    **columns: Any,
) -> bool:
    """Move one booking from `from_state` to `to_state` (setting `columns` too, such as its
    checked_in_at); False if it was no longer there."""
    statement = (
        update(bookings)
        .where(bookings.c.id == booking_id, bookings.c.state == from_state)
        .values(state=to_state, updated_at=now, **columns)
    )
    return conn.execute(statement).rowcount == 1


def move_seat_bookings_of_class(
    conn: Connection, class_id: UUID, *, from_state: str, to_state: str, now: datetime
) -> Sequence[RowMapping]:
    """Move every seat booking of a class in `from_state`; returns each moved, as it is now."""
    statement = (
        update(bookings)
        .where(
            bookings.c.owner_booking_id == class_id,
            bookings.c.graph == GROUP_CUSTOMER,
            bookings.c.state == from_state,
        )
        .values(state=to_state, updated_at=now)
        .returning(*bookings.c)
    )
    return conn.execute(statement).mappings().all()


def confirmed_seats_by_class(conn: Connection, class_ids: Iterable[UUID]) -> dict[UUID, int]:
    """Sum of seats held (confirmed or completed) per class: the other side of the invariant."""
    query = (
        select(bookings.c.owner_booking_id, func.coalesce(func.sum(bookings.c.seats), 0))
        .where(
            bookings.c.owner_booking_id.in_(list(class_ids)),
            bookings.c.state.in_(SEAT_HOLDING_STATES),
        )
        .group_by(bookings.c.owner_booking_id)
    )
    return {class_id: int(total) for class_id, total in conn.execute(query)}


# Logs ---------------------------------------------------------------------------------------


def append_logs(conn: Connection, entries: Sequence[dict[str, Any]]) -> None:
    if entries:
        conn.execute(_APPEND_LOGS, list(entries))


def read_logs(conn: Connection, booking_id: UUID) -> Sequence[RowMapping]:
    query = (
        select(booking_logs)
        .where(booking_logs.c.booking_id == booking_id)
        .order_by(booking_logs.c.id)
    )
    return conn.execute(query).mappings().all()


def log_entry(
    booking_id: UUID,
    action: str,
    from_state: str | None,
    to_state: str,
    message: str | None,
    now: datetime,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A log row; `details` are shown beside its fields (a move's classes, for one)."""
    return {
        "booking_id": booking_id,
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        "message": message,
        "created_at": now,
        "details": details,
    }


def open_classes_of_series(
    conn: Connection, series_id: UUID, starting_from: datetime | None
) -> list[UUID]:
    """Ids of a series' tentative classes starting at or after `starting_from`, in id order.

    Id order is the order their rows are then locked in, the same for every command, so two
    commands on one series never wait on each other in a circle.
    """
    query = select(bookings.c.id).where(
        bookings.c.series_id == series_id,
        bookings.c.graph == GROUP_OWNER,
        bookings.c.state == State.TENTATIVE,
    )
    if starting_from is not None:
        query = query.where(bookings.c.starts_at >= starting_from)
    return sorted(conn.execute(query).scalars())


def insert_series(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(series).values(**values))


def series_exists(conn: Connection, series_id: UUID) -> bool:
    return conn.execute(select(series.c.id).where(series.c.id == series_id)).first() is not None
