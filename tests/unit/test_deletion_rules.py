"""Which bookings may be deleted: final ones, a class only with every seat booking final."""

from __future__ import annotations

import pytest

from worker.domain.deletion import (
    change_on_deletion,
    check_can_delete_class,
    check_can_delete_seat_booking,
)
from worker.domain.errors import NotFinalError
from worker.domain.graphs import CUSTOMER_GRAPH, State
from worker.domain.waitlist import SeatCounts, counted_as

FINAL_SEAT_STATES = [state for state in State if CUSTOMER_GRAPH.is_final(state)]
OPEN_SEAT_STATES = [State.CONFIRMED, State.WAITLISTED, State.OFFERED]


# The seats a class ran with: completed, or a no-show's, which the seat was kept for.
RAN_WITH = (State.COMPLETED, State.NO_SHOW)


@pytest.mark.parametrize("state", [s for s in FINAL_SEAT_STATES if s not in RAN_WITH])
def test_a_cancelled_or_lapsed_seat_booking_counts_for_nothing_so_deleting_it_changes_no_counter(
    state: State,
) -> None:
    check_can_delete_seat_booking(state)
    assert counted_as(state, 3) == SeatCounts()
    assert change_on_deletion(state, 3) == SeatCounts()


@pytest.mark.parametrize("state", RAN_WITH)
def test_a_completed_seat_booking_still_counts_its_seats_so_deleting_it_takes_them_out(
    state: State,
) -> None:
    check_can_delete_seat_booking(state)
    assert change_on_deletion(state, 3) == SeatCounts(held=-3)


@pytest.mark.parametrize("state", OPEN_SEAT_STATES)
def test_a_seat_booking_that_holds_waits_or_is_offered_cannot_be_deleted(state: State) -> None:
    with pytest.raises(NotFinalError, match=state.value):
        check_can_delete_seat_booking(state)


def test_an_open_class_cannot_be_deleted() -> None:
    with pytest.raises(NotFinalError, match="tentative"):
        check_can_delete_class(State.TENTATIVE, [])


@pytest.mark.parametrize("state", [State.CANCELLED, State.COMPLETED])
def test_a_final_class_with_final_seat_bookings_may_be_deleted(state: State) -> None:
    check_can_delete_class(state, [State.COMPLETED, State.CANCELLED_BY_OWNER, State.OFFER_EXPIRED])


def test_a_final_class_with_a_seat_booking_still_open_cannot_be_deleted() -> None:
    with pytest.raises(NotFinalError, match="waitlisted"):
        check_can_delete_class(State.COMPLETED, [State.COMPLETED, State.WAITLISTED])
