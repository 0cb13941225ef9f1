"""The invariant every class keeps, read straight from the database."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import Connection, create_engine, func, select

from worker.domain.graphs import SEAT_HOLDING_STATES
from worker.storage.tables import bookings


@dataclass(frozen=True)
class SeatAccount:
    class_id: UUID
    max_seats: int
    current_seats: int
    seats_held: int  # sum of seats of its seat bookings holding seats (confirmed, completed, ...)

    @property
    def holds(self) -> bool:
        return self.current_seats == self.seats_held <= self.max_seats

    @property
    def oversold(self) -> bool:
        return self.seats_held > self.max_seats


def seat_accounts(database_url: str, class_ids: list[str] | None = None) -> list[SeatAccount]:
    engine = create_engine(database_url)
    held = (
        select(bookings.c.owner_booking_id, func.sum(bookings.c.seats).label("held"))
        .where(bookings.c.state.in_(SEAT_HOLDING_STATES))
        .group_by(bookings.c.owner_booking_id)
        .subquery()
    )
    query = select(
        bookings.c.id,
        bookings.c.max_seats,
        bookings.c.current_seats,
        func.coalesce(held.c.held, 0),
    ).select_from(bookings.outerjoin(held, held.c.owner_booking_id == bookings.c.id))
    query = query.where(bookings.c.graph == "group_owner")
    if class_ids is not None:
        query = query.where(bookings.c.id.in_([UUID(i) for i in class_ids]))
    try:
        with engine.connect() as conn:
            return [SeatAccount(*row) for row in conn.execute(query)]
    finally:
        engine.dispose()


@dataclass(frozen=True)
class LineAccount:
    """A class's three counters beside the seats of its bookings in each state, and its line."""

    class_id: UUID
    max_seats: int
    waitlist_size: int
    current_seats: int
    offered_seats: int
    waitlist_seats: int
    seats_held: int  # holding seats: confirmed, checked in, completed, no-show
    seats_offered: int
    seats_waiting: int
    line_numbers: tuple[int, ...]  # of its waiting and offered entries, in arrival order

    @property
    def holds(self) -> bool:
        """Every counter is the sum it stands for; held and offered fit; waiting fits the
        waitlist; each entry of the line has its own number."""
        return (
            self.current_seats == self.seats_held
            and self.offered_seats == self.seats_offered
            and self.waitlist_seats == self.seats_waiting
            and self.seats_held + self.seats_offered <= self.max_seats
            and self.seats_waiting <= self.waitlist_size
            and len(set(self.line_numbers)) == len(self.line_numbers)
        )


def line_accounts(conn: Connection, class_ids: list[str] | None = None) -> list[LineAccount]:
    """Each class's LineAccount, read in one transaction."""
    classes = select(
        bookings.c.id,
        bookings.c.max_seats,
        bookings.c.waitlist_size,
        bookings.c.current_seats,
        bookings.c.offered_seats,
        bookings.c.waitlist_seats,
    ).where(bookings.c.graph == "group_owner")
    if class_ids is not None:
        classes = classes.where(bookings.c.id.in_([UUID(str(i)) for i in class_ids]))
    counted = {row[0]: row for row in conn.execute(classes)}
    sums: dict[tuple[UUID, str], int] = {}
    numbers: dict[UUID, list[int]] = {class_id: [] for class_id in counted}
    entries = select(
        bookings.c.owner_booking_id, bookings.c.state, bookings.c.seats, bookings.c.line_number
    ).where(bookings.c.owner_booking_id.in_(list(counted)))
    for class_id, state, seats, number in conn.execute(entries.order_by(bookings.c.line_number)):
        kind = "held" if state in SEAT_HOLDING_STATES else state
        sums[(class_id, kind)] = sums.get((class_id, kind), 0) + seats
        if state in ("waitlisted", "offered"):
            numbers[class_id].append(number)
    return [
        LineAccount(
            *row,
            sums.get((class_id, "held"), 0),
            sums.get((class_id, "offered"), 0),
            sums.get((class_id, "waitlisted"), 0),
            tuple(numbers[class_id]),
        )
        for class_id, row in counted.items()
    ]
