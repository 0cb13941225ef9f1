"""Seat decisions: may this many seats be taken from this class now?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .errors import (
    BookingWindowClosedError,
    ClassNotOpenError,
    NotEnoughSeatsError,
    SeatsExceedClassError,
)
from .graphs import OWNER_GRAPH
from .windows import BookingWindow


@dataclass(frozen=True)
class ClassSnapshot:
    """What the seat rules need to know of a class, as read inside the command's transaction."""

    state: str
    start: datetime
    max_seats: int
    current_seats: int
    min_booking_s: int | None
    max_booking_s: int | None

    @property
    def seats_left(self) -> int:
        return self.max_seats - self.current_seats


def check_can_book(klass: ClassSnapshot, requested: int, now: datetime) -> None:
    """Refuse a request for `requested` seats unless the class is open, in window and has room."""
    if requested > klass.max_seats:
        raise SeatsExceedClassError(f"must be at most {klass.max_seats}, the seats in this class")
    if klass.state != OWNER_GRAPH.initial_state:
        raise ClassNotOpenError(f"the class is {klass.state} and takes no more bookings")
    BookingWindow.for_class(klass.start, klass.min_booking_s, klass.max_booking_s).check_open(now)
    if requested > klass.seats_left:
        raise NotEnoughSeatsError(requested, klass.seats_left)


def is_bookable_now(klass: ClassSnapshot, now: datetime) -> bool:
    """Open, and inside its booking window: what a term booking takes seats in."""
    if klass.state != OWNER_GRAPH.initial_state:
        return False
    window = BookingWindow.for_class(klass.start, klass.min_booking_s, klass.max_booking_s)
    try:
        window.check_open(now)
    except BookingWindowClosedError:
        return False
    return True
