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
    offered_seats: int = 0
    waitlist_seats: int = 0
    waitlist_size: int = 0
    waitlist_promotion: str = "automatic"
    offer_s: int = 7200

    @property
    def seats_left(self) -> int:
        """Seats neither taken nor held by an open offer."""
        return self.max_seats - self.current_seats - self.offered_seats

    @property
    def waitlist_room(self) -> int:
        return self.waitlist_size - self.waitlist_seats


def check_can_book(klass: ClassSnapshot, requested: int, now: datetime) -> None:
    """Refuse a request for `requested` seats unless the class is open, in window and has room."""
    check_open_for_seats(klass, requested, now)
    if requested > klass.seats_left:
        raise NotEnoughSeatsError(requested, klass.seats_left)


def check_open_for_seats(klass: ClassSnapshot, requested: int, now: datetime) -> None:
    """Refuse unless the class could ever hold `requested` seats and takes bookings now."""
    if requested > klass.max_seats:
        raise SeatsExceedClassError(f"must be at most {klass.max_seats}, the seats in this class")
    if klass.state != OWNER_GRAPH.initial_state:
        raise ClassNotOpenError(f"the class is {klass.state} and takes no more bookings")
    BookingWindow.for_class(klass.start, klass.min_booking_s, klass.max_booking_s).check_open(now)


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
