"""The waitlist's pure rules: first fit in arrival order, places, offers, capacity."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from worker.domain.errors import (
    CapacityBelowTakenError,
    ClassNotOpenError,
    NotEnoughSeatsError,
    OfferExpiredError,
)
from worker.domain.seats import ClassSnapshot
from worker.domain.waitlist import (
    Place,
    SeatCounts,
    Waiting,
    change_of,
    check_new_max_seats,
    check_offer_open,
    first_fits,
    place_for,
)

NOW = datetime(2032, 1, 10, 9, 0, tzinfo=UTC)
FULL = ClassSnapshot(
    state="tentative",
    start=NOW + timedelta(days=2),
    max_seats=4,
    current_seats=4,
    min_booking_s=None,
    max_booking_s=None,
    waitlist_size=3,
)


def line(*seats: int) -> list[Waiting]:
    return [Waiting(uuid4(), count) for count in seats]


def test_freed_seats_go_to_waiting_entries_in_order_of_arrival() -> None:
    entries = line(1, 1, 1)

    assert first_fits(2, entries) == entries[:2]


def test_an_entry_that_does_not_fit_keeps_its_place_and_the_next_is_considered() -> None:
    big, small, other = line(3, 1, 2)

    assert first_fits(2, [big, small, other]) == [small]


def test_several_entries_share_the_freed_seats_while_they_fit() -> None:
    entries = line(2, 3, 1, 1)

    assert first_fits(4, entries) == [entries[0], entries[2], entries[3]]


def test_no_free_seat_promotes_nobody() -> None:
    assert first_fits(0, line(1)) == []


def test_a_booking_that_fits_gets_seats() -> None:
    assert place_for(replace(FULL, current_seats=3), 1, NOW, wants_waitlist=True) is Place.SEATS


def test_a_booking_that_does_not_fit_waits_if_it_asks_and_the_line_has_room() -> None:
    assert place_for(FULL, 3, NOW, wants_waitlist=True) is Place.WAITLIST


def test_a_booking_that_does_not_ask_to_wait_is_refused_and_told_the_line_has_room() -> None:
    with pytest.raises(NotEnoughSeatsError, match="its waitlist has room for 3 seats"):
        place_for(FULL, 1, NOW, wants_waitlist=False)


def test_a_booking_larger_than_the_room_left_in_line_is_refused() -> None:
    with pytest.raises(NotEnoughSeatsError, match="its waitlist has room for 1 seat "):
        place_for(replace(FULL, waitlist_seats=2), 2, NOW, wants_waitlist=True)


def test_nobody_waits_for_a_class_that_is_not_open() -> None:
    with pytest.raises(ClassNotOpenError):
        place_for(replace(FULL, state="cancelled"), 1, NOW, wants_waitlist=True)


def test_offered_seats_are_not_free_for_a_newcomer() -> None:
    held = replace(FULL, current_seats=2, offered_seats=2)

    assert held.seats_left == 0
    assert place_for(held, 1, NOW, wants_waitlist=True) is Place.WAITLIST


def test_an_offer_is_open_until_its_deadline_and_not_at_it() -> None:
    check_offer_open(NOW + timedelta(seconds=1), NOW)
    with pytest.raises(OfferExpiredError):
        check_offer_open(NOW, NOW)


def test_a_class_shrinks_only_to_its_seats_taken_and_offered() -> None:
    taken = replace(FULL, current_seats=2, offered_seats=1)

    check_new_max_seats(taken, 3)
    with pytest.raises(CapacityBelowTakenError, match="cannot go below 3"):
        check_new_max_seats(taken, 2)


@pytest.mark.parametrize(
    ("from_state", "to_state", "change"),
    [
        ("waitlisted", "confirmed", SeatCounts(held=2, waiting=-2)),
        ("waitlisted", "offered", SeatCounts(offered=2, waiting=-2)),
        ("offered", "confirmed", SeatCounts(held=2, offered=-2)),
        ("offered", "offer_expired", SeatCounts(offered=-2)),
        ("confirmed", "cancelled_by_owner", SeatCounts(held=-2)),
        ("waitlisted", "waitlist_expired", SeatCounts(waiting=-2)),
        ("confirmed", "completed", SeatCounts()),
    ],
)
def test_each_step_moves_seats_between_the_class_counters(
    from_state: str, to_state: str, change: SeatCounts
) -> None:
    assert change_of(from_state, to_state, 2) == change
