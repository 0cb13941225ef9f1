"""When seats may be booked, and until when a customer may cancel; `now` is always passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from worker.domain.errors import BookingWindowClosedError, CancelWindowClosedError
from worker.domain.windows import (
    BookingWindow,
    check_customer_may_cancel,
    last_customer_cancel,
)

# The seed's class: Friday 30 September 2016, 08:00 UTC.
START = datetime(2016, 9, 30, 8, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
TWO_HOURS_S = 2 * 3600
ONE_DAY_S = 86_400
FOURTEEN_DAYS_S = 14 * 86_400


def test_booking_closes_min_booking_time_before_the_start() -> None:
    window = BookingWindow.for_class(START, TWO_HOURS_S, None)

    assert window.closes_at == datetime(2016, 9, 30, 6, 0, tzinfo=UTC)


def test_booking_closes_at_the_start_without_min_booking_time() -> None:
    assert BookingWindow.for_class(START, None, None).closes_at == START


def test_booking_opens_max_booking_time_before_the_start() -> None:
    window = BookingWindow.for_class(START, TWO_HOURS_S, FOURTEEN_DAYS_S)

    assert window.opens_at == datetime(2016, 9, 16, 8, 0, tzinfo=UTC)


def test_booking_has_no_opening_time_without_max_booking_time() -> None:
    assert BookingWindow.for_class(START, TWO_HOURS_S, None).opens_at is None


def test_booking_without_max_booking_time_is_open_years_ahead() -> None:
    window = BookingWindow.for_class(START, TWO_HOURS_S, None)

    window.check_open(START - timedelta(days=3650))


def test_booking_is_still_open_exactly_at_closes_at() -> None:
    window = BookingWindow.for_class(START, TWO_HOURS_S, FOURTEEN_DAYS_S)

    window.check_open(window.closes_at)


def test_booking_is_closed_one_second_after_closes_at() -> None:
    window = BookingWindow.for_class(START, TWO_HOURS_S, FOURTEEN_DAYS_S)

    with pytest.raises(BookingWindowClosedError, match="booking closed at 2016-09-30T06:00:00"):
        window.check_open(window.closes_at + SECOND)


def test_booking_without_min_booking_time_is_closed_one_second_after_the_start() -> None:
    window = BookingWindow.for_class(START, None, None)

    window.check_open(START)
    with pytest.raises(BookingWindowClosedError):
        window.check_open(START + SECOND)


def test_booking_is_open_exactly_at_opens_at() -> None:
    window = BookingWindow.for_class(START, TWO_HOURS_S, FOURTEEN_DAYS_S)
    assert window.opens_at is not None

    window.check_open(window.opens_at)


def test_booking_is_closed_one_second_before_opens_at() -> None:
    window = BookingWindow.for_class(START, TWO_HOURS_S, FOURTEEN_DAYS_S)
    assert window.opens_at is not None

    with pytest.raises(BookingWindowClosedError, match="booking opens at 2016-09-16T08:00:00"):
        window.check_open(window.opens_at - SECOND)


def test_the_window_compares_instants_not_wall_clocks() -> None:
    window = BookingWindow.for_class(START, TWO_HOURS_S, None)
    closing_in_paris = window.closes_at.astimezone(timezone(timedelta(hours=2)))

    window.check_open(closing_in_paris)
    with pytest.raises(BookingWindowClosedError):
        window.check_open(closing_in_paris + SECOND)


def test_the_last_customer_cancel_is_min_cancel_time_before_the_start() -> None:
    assert last_customer_cancel(START, ONE_DAY_S) == datetime(2016, 9, 29, 8, 0, tzinfo=UTC)


def test_the_last_customer_cancel_is_the_start_without_min_cancel_time() -> None:
    assert last_customer_cancel(START, None) == START


def test_customer_may_cancel_exactly_min_cancel_time_before_start() -> None:
    check_customer_may_cancel(START - timedelta(days=1), START, ONE_DAY_S)


def test_customer_may_cancel_long_before_min_cancel_time_before_start() -> None:
    check_customer_may_cancel(START - timedelta(days=30), START, ONE_DAY_S)


def test_customer_cannot_cancel_later_than_min_cancel_time_before_start() -> None:
    with pytest.raises(
        CancelWindowClosedError, match="customers may cancel until 2016-09-29T08:00:00"
    ):
        check_customer_may_cancel(START - timedelta(days=1) + SECOND, START, ONE_DAY_S)


def test_customer_without_min_cancel_time_may_cancel_until_the_start() -> None:
    check_customer_may_cancel(START, START, None)
    with pytest.raises(CancelWindowClosedError):
        check_customer_may_cancel(START + SECOND, START, None)
