"""The invariant every class keeps, read straight from the database."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import create_engine, func, select

from worker.storage.tables import bookings


@dataclass(frozen=True)
class SeatAccount:
    class_id: UUID
    max_seats: int
    current_seats: int
    seats_held: int  # sum of seats of its confirmed and completed seat bookings

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
        .where(bookings.c.state.in_(("confirmed", "completed")))
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
