"""Which bookings may be deleted: those in a final state, a class only with all its seats final.

A final seat booking is offered and waits for nothing, and holds no seat except a completed one
(or a no-show's), which stays counted in its (completed) class's current_seats as the seat kept
for it: deleting it takes it out of that count, so the counters remain the sum of the class's
seat bookings.
"""

from __future__ import annotations

from collections.abc import Iterable

from .errors import NotFinalError
from .graphs import CUSTOMER_GRAPH, OWNER_GRAPH
from .waitlist import SeatCounts, counted_as


def check_can_delete_seat_booking(state: str) -> None:
    if not CUSTOMER_GRAPH.is_final(state):
        raise NotFinalError(
            f"a seat booking in state {state!r} is not final and cannot be deleted; cancel it first"
        )


def check_can_delete_class(state: str, seat_states: Iterable[str]) -> None:
    """A class in a final state whose seat bookings are all final too."""
    if not OWNER_GRAPH.is_final(state):
        raise NotFinalError(
            f"a class in state {state!r} is not final and cannot be deleted; cancel or "
            "complete it first"
        )
    open_states = sorted({seat for seat in seat_states if not CUSTOMER_GRAPH.is_final(seat)})
    if open_states:
        raise NotFinalError(
            "the class has seat bookings that are not final "
            f"({', '.join(open_states)}) and cannot be deleted"
        )


def change_on_deletion(state: str, seats: int) -> SeatCounts:
    """What deleting a (final) seat booking in `state` does to its class's counters."""
    counted = counted_as(state, seats)
    return SeatCounts(-counted.held, -counted.offered, -counted.waiting)
