"""Set-based completion of past classes: the database moves the rows, Python sees class ids."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import Connection, RowMapping, and_, insert, literal, null, select, true, update

from ..domain.graphs import GROUP_CUSTOMER, GROUP_OWNER, State
from .tables import booking_logs, bookings


def lock_classes_to_complete(conn: Connection, cutoff: datetime, limit: int) -> list[UUID]:
    """Up to `limit` open classes that ended before `cutoff`, row-locked for this transaction.

    SKIP LOCKED lets two sweeps run at once on PostgreSQL, each taking other classes; a class a
    customer is cancelling in right now is simply left for the next sweep.
    """
    query = (
        select(bookings.c.id)
        .where(
            bookings.c.graph == GROUP_OWNER,
            bookings.c.state == State.TENTATIVE,
            bookings.c.auto_complete == true(),
            bookings.c.ends_at < cutoff,
            # A class with a line waits for the waitlist sweep to close it (and tell each).
            bookings.c.waitlist_seats == 0,
            bookings.c.offered_seats == 0,
        )
        .order_by(bookings.c.ends_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(conn.execute(query).scalars())


def complete_bookings(
    conn: Connection, class_ids: Sequence[UUID], *, now: datetime
) -> tuple[int, int]:
    """Complete these classes and their confirmed seat bookings, logging each; (classes, seats).

    Each log insert reads the rows its update then moves. The class rows are locked, and every
    command that changes a seat booking locks its class row first, so the two statements see
    the same rows.
    """
    ids = list(class_ids)
    seats = 0
    # Checked in (attended) and confirmed (where attendance is not tracked: no-shows were
    # moved first, see mark_no_shows) complete alike.
    for from_state in (State.CONFIRMED, State.CHECKED_IN):
        seats_where = and_(
            bookings.c.owner_booking_id.in_(ids),
            bookings.c.graph == GROUP_CUSTOMER,
            bookings.c.state == from_state,
        )
        _log_completion(conn, seats_where, from_state=from_state, now=now)
        seats += conn.execute(
            update(bookings).where(seats_where).values(state=State.COMPLETED, updated_at=now)
        ).rowcount
    classes_where = and_(bookings.c.id.in_(ids), bookings.c.state == State.TENTATIVE)
    _log_completion(conn, classes_where, from_state=State.TENTATIVE, now=now)
    classes = conn.execute(
        update(bookings).where(classes_where).values(state=State.COMPLETED, updated_at=now)
    )
    return classes.rowcount, seats


def mark_no_shows(
    conn: Connection, class_ids: Sequence[UUID], *, now: datetime
) -> tuple[list[RowMapping], list[RowMapping]]:
    """Of these (locked) classes, those tracking attendance: their confirmed seat bookings,
    never checked in, become no-shows, logged; (those classes, the no-shows as they now are)."""
    tracking = list(
        conn.execute(
            select(bookings).where(
                bookings.c.id.in_(list(class_ids)), bookings.c.track_attendance == true()
            )
        ).mappings()
    )
    if not tracking:
        return [], []
    where = and_(
        bookings.c.owner_booking_id.in_([klass["id"] for klass in tracking]),
        bookings.c.graph == GROUP_CUSTOMER,
        bookings.c.state == State.CONFIRMED,
    )
    _log_completion(
        conn, where, from_state=State.CONFIRMED, now=now, action="mark_no_show", to=State.NO_SHOW
    )
    statement = (
        update(bookings)
        .where(where)
        .values(state=State.NO_SHOW, updated_at=now)
        .returning(*bookings.c)
    )
    return tracking, list(conn.execute(statement).mappings())


def _log_completion(
    conn: Connection,
    where: object,
    *,
    from_state: State,
    now: datetime,
    action: str = "complete",
    to: State = State.COMPLETED,
) -> None:
    source = select(
        bookings.c.id,
        literal(action),
        literal(from_state.value),
        literal(to.value),
        null(),
        literal(now, type_=booking_logs.c.created_at.type),
    ).where(where)  # type: ignore[arg-type]
    columns = ["booking_id", "action", "from_state", "to_state", "message", "created_at"]
    conn.execute(insert(booking_logs).from_select(columns, source))
