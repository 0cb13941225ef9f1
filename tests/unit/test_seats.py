"""Seat decisions: whether a class, now, has room for the seats asked."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from worker.domain.errors import (
    BookingWindowClosedError,
    ClassNotOpenError,
    DomainError,
    NotEnoughSeatsError,
    SeatsExceedClassError,
)
from worker.domain.seats import ClassSnapshot, check_can_book

START = datetime(2016, 9, 30, 8, 0, tzinfo=UTC)
# Inside the seed's window: booking opens 14 days and closes 2 hours before the start.
NOW = START - timedelta(days=1)
SECOND = timedelta(seconds=1)

YOGA_CLASS = ClassSnapshot(
    state="tentative",
    start=START,
    max_seats=20,
    current_seats=0,
    min_booking_s=2 * 3600,
    max_booking_s=14 * 86_400,
)


def a_class(**changes: object) -> ClassSnapshot:
    return dataclasses.replace(YOGA_CLASS, **changes)  # type: ignore[arg-type]


def test_seats_left_are_the_seats_not_yet_taken() -> None:
    assert a_class(current_seats=3).seats_left == 17


def test_a_request_that_fits_is_allowed() -> None:
    check_can_book(a_class(current_seats=3), 2, NOW)


def test_taking_exactly_the_seats_left_is_allowed() -> None:
    check_can_book(a_class(current_seats=18), 2, NOW)


def test_asking_for_more_seats_than_the_class_holds_is_refused() -> None:
    with pytest.raises(SeatsExceedClassError, match="must be at most 20"):
        check_can_book(a_class(), 21, NOW)


def test_more_seats_than_the_class_holds_is_refused_before_anything_else() -> None:
    closed_and_cancelled = a_class(state="cancelled", current_seats=20)

    with pytest.raises(SeatsExceedClassError):
        check_can_book(closed_and_cancelled, 21, START + timedelta(days=1))


@pytest.mark.parametrize("state", ["cancelled", "completed"])
def test_a_class_that_is_no_longer_tentative_takes_no_bookings(state: str) -> None:
    with pytest.raises(ClassNotOpenError, match=f"the class is {state}"):
        check_can_book(a_class(state=state), 1, NOW)


def test_a_cancelled_class_is_refused_before_its_window_is_checked() -> None:
    with pytest.raises(ClassNotOpenError):
        check_can_book(a_class(state="cancelled"), 1, START + SECOND)


def test_booking_later_than_min_booking_time_before_start_is_refused() -> None:
    with pytest.raises(BookingWindowClosedError):
        check_can_book(a_class(), 1, START - timedelta(hours=2) + SECOND)


def test_booking_exactly_min_booking_time_before_start_is_allowed() -> None:
    check_can_book(a_class(), 1, START - timedelta(hours=2))


def test_booking_earlier_than_max_booking_time_before_start_is_refused() -> None:
    with pytest.raises(BookingWindowClosedError):
        check_can_book(a_class(), 1, START - timedelta(days=14) - SECOND)


def test_booking_exactly_max_booking_time_before_start_is_allowed() -> None:
    check_can_book(a_class(), 1, START - timedelta(days=14))


def test_a_closed_window_is_refused_before_the_seats_are_counted() -> None:
    with pytest.raises(BookingWindowClosedError):
        check_can_book(a_class(current_seats=20), 1, START)


def test_asking_for_more_seats_than_are_left_is_refused_saying_how_many_are_left() -> None:
    with pytest.raises(NotEnoughSeatsError) as refused:
        check_can_book(a_class(current_seats=18), 3, NOW)

    assert refused.value.left == 2
    assert refused.value.requested == 3
    assert "only 2 seats are left" in str(refused.value)


def test_the_refusal_says_seat_in_the_singular_when_one_is_left() -> None:
    with pytest.raises(NotEnoughSeatsError, match="only 1 seat is left"):
        check_can_book(a_class(current_seats=19), 2, NOW)


def test_a_full_class_refuses_even_one_seat() -> None:
    with pytest.raises(NotEnoughSeatsError) as refused:
        check_can_book(a_class(current_seats=20), 1, NOW)

    assert refused.value.left == 0


@pytest.mark.parametrize(
    "refusal",
    [SeatsExceedClassError, ClassNotOpenError, BookingWindowClosedError, NotEnoughSeatsError],
)
def test_every_seat_refusal_is_a_domain_refusal(refusal: type[Exception]) -> None:
    assert issubclass(refusal, DomainError)


@settings(database=None)
@given(data=st.data(), max_seats=st.integers(1, 100))
def test_a_request_is_allowed_exactly_when_it_fits_in_the_seats_left(
    data: st.DataObject, max_seats: int
) -> None:
    current_seats = data.draw(st.integers(0, max_seats), label="current_seats")
    requested = data.draw(st.integers(1, max_seats), label="requested")
    klass = a_class(max_seats=max_seats, current_seats=current_seats)

    try:
        check_can_book(klass, requested, NOW)
    except NotEnoughSeatsError as refused:
        assert requested > max_seats - current_seats
        assert refused.left == max_seats - current_seats
    else:
        assert requested <= max_seats - current_seats
