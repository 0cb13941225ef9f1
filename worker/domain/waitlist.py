"""The waitlist's rules: who waits, who is promoted or offered freed seats, when offers end.

Pure: every decision takes the class as read inside the command's transaction and `now`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeVar
from uuid import UUID

from .errors import CapacityBelowTakenError, NotEnoughSeatsError, OfferExpiredError
from .graphs import IN_LINE_STATES, OFFERED_STATES, SEAT_HOLDING_STATES, WAITING_STATES
from .seats import ClassSnapshot, check_open_for_seats

AUTOMATIC = "automatic"
OFFER = "offer"


class Place(StrEnum):
    """Where a new seat booking goes."""

    SEATS = "seats"
    WAITLIST = "waitlist"


def place_for(
    klass: ClassSnapshot, requested: int, now: datetime, *, wants_waitlist: bool
) -> Place:
    """Seats if they are free (after the line was served); a place in the line if asked for and
    it has room; otherwise the refusal, saying whether the waitlist has room."""
    check_open_for_seats(klass, requested, now)
    if requested <= klass.seats_left:
        return Place.SEATS
    room = klass.waitlist_room
    if wants_waitlist and requested <= room:
        return Place.WAITLIST
    raise NotEnoughSeatsError(requested, klass.seats_left, waitlist=_waitlist_note(klass, room))


def _waitlist_note(klass: ClassSnapshot, room: int) -> str | None:
    if klass.waitlist_size == 0:
        return None
    if room == 0:
        return "its waitlist is full"
    seats = "seat" if room == 1 else "seats"
    return f'its waitlist has room for {room} {seats} (book with "waitlist": true)'


@dataclass(frozen=True)
class Waiting:
    """An entry of the line, as the rules see it."""

    id: UUID
    seats: int


Entry = TypeVar("Entry", bound=Waiting)


def first_fits(free: int, line: Sequence[Entry]) -> list[Entry]:
    """The entries that get `free` seats: in order of arrival, each one whose seats fit what is
    still free; one that does not fit keeps its place and the next is considered."""
    chosen = []
    for entry in line:
        if entry.seats <= free:
            chosen.append(entry)
            free -= entry.seats
    return chosen


def offer_deadline(now: datetime, offer_s: int) -> datetime:
    return now + timedelta(seconds=offer_s)


def offer_has_expired(expires_at: datetime, now: datetime) -> bool:
    return now >= expires_at


def check_offer_open(expires_at: datetime | None, now: datetime) -> None:
    """An offer past its deadline cannot be accepted, whether or not the sweep marked it."""
    if expires_at is not None and offer_has_expired(expires_at, now):
        raise OfferExpiredError(
            f"the offer expired at {expires_at.isoformat()}; it is now {now.isoformat()}"
        )


def check_new_max_seats(klass: ClassSnapshot, max_seats: int) -> None:
    """A class may shrink only down to the seats taken and offered: nobody is pushed out."""
    taken = klass.current_seats + klass.offered_seats
    if max_seats < taken:
        raise CapacityBelowTakenError(
            f"max_seats cannot go below {taken}: {klass.current_seats} seats are taken and "
            f"{klass.offered_seats} offered, and nobody is pushed out"
        )


@dataclass(frozen=True)
class SeatCounts:
    """A class's three counters, or a change to them."""

    held: int = 0  # current_seats: confirmed and completed
    offered: int = 0  # offered_seats: open offers
    waiting: int = 0  # waitlist_seats: waiting entries

    def __add__(self, other: SeatCounts) -> SeatCounts:
        return SeatCounts(
            self.held + other.held, self.offered + other.offered, self.waiting + other.waiting
        )

    @property
    def frees_seats(self) -> bool:
        """Whether seats inside max_seats came free (so the line may move)."""
        return self.held + self.offered < 0


def counted_as(state: str, seats: int) -> SeatCounts:
    """How a seat booking in `state` counts on its class."""
    if state in SEAT_HOLDING_STATES:
        return SeatCounts(held=seats)
    if state in OFFERED_STATES:
        return SeatCounts(offered=seats)
    if state in WAITING_STATES:
        return SeatCounts(waiting=seats)
    return SeatCounts()


def change_of(from_state: str, to_state: str, seats: int) -> SeatCounts:
    """What moving a seat booking between these states does to its class's counters."""
    before, after = counted_as(from_state, seats), counted_as(to_state, seats)
    return SeatCounts(
        after.held - before.held, after.offered - before.offered, after.waiting - before.waiting
    )


def is_in_line(state: str) -> bool:
    return state in IN_LINE_STATES
