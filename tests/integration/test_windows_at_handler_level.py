"""Booking and cancel windows at the handler level, with the clock frozen by freezegun."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from harness.bodies import class_body, seat_body
from tests.support.handlers import act, create
from worker.handlers import HandlerDeps

pytestmark = pytest.mark.integration

START = datetime(2031, 9, 30, 8, 0, tzinfo=UTC)
DOC_RULES = {
    "min_cancel_time": "1 day",
    "min_booking_time": "2 hours",
    "max_booking_time": "14 days",
}


def docs_class(deps: HandlerDeps, **settings: str) -> str:
    with freeze_time(START - timedelta(days=30)):
        return str(create(deps, class_body(START, **settings))["data"]["id"])


def book_at(deps: HandlerDeps, class_id: str, moment: datetime) -> dict[str, object]:
    with freeze_time(moment):
        return create(deps, seat_body(class_id))


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        (START - timedelta(days=14, seconds=1), False),
        (START - timedelta(days=14), True),
        (START - timedelta(hours=2), True),
        (START - timedelta(hours=2) + timedelta(seconds=1), False),
        (START + timedelta(minutes=5), False),
    ],
)
def test_seats_can_be_booked_from_14_days_until_2_hours_before_start(
    handler_deps: HandlerDeps, moment: datetime, open_: bool
) -> None:
    class_id = docs_class(handler_deps, **DOC_RULES)

    result = book_at(handler_deps, class_id, moment)

    if open_:
        assert result["data"]["state"] == "confirmed"  # type: ignore[index]
    else:
        assert result["status"] == 409
        assert "booking" in str(result["error"])


def test_without_min_booking_time_the_window_closes_at_the_start(
    handler_deps: HandlerDeps,
) -> None:
    class_id = docs_class(handler_deps)

    assert book_at(handler_deps, class_id, START)["data"]["state"] == "confirmed"  # type: ignore[index]
    late = book_at(handler_deps, class_id, START + timedelta(seconds=1))
    assert late["status"] == 409


def test_a_class_in_the_past_can_be_imported_but_takes_no_seats(handler_deps: HandlerDeps) -> None:
    with freeze_time(START + timedelta(days=365)):
        class_id = create(handler_deps, class_body(START))["data"]["id"]
        refused = create(handler_deps, seat_body(class_id))

    assert refused["status"] == 409
    assert "booking closed" in refused["error"]


def test_a_customer_may_cancel_until_one_day_before_start(handler_deps: HandlerDeps) -> None:
    class_id = docs_class(handler_deps, **DOC_RULES)
    early = book_at(handler_deps, class_id, START - timedelta(days=3))["data"]["id"]  # type: ignore[index]
    late = book_at(handler_deps, class_id, START - timedelta(days=3))["data"]["id"]  # type: ignore[index]

    with freeze_time(START - timedelta(days=1)):
        in_time = act(handler_deps, early, "cancel_by_customer", "Double booked. Sorry, Doc!")
    with freeze_time(START - timedelta(days=1) + timedelta(seconds=1)):
        too_late = act(handler_deps, late, "cancel_by_customer", "Oops")

    assert in_time["data"]["state"] == "cancelled_by_customer"
    assert too_late["status"] == 409
    assert "customers may cancel until" in too_late["error"]


def test_the_owner_may_cancel_a_seat_booking_inside_the_customer_cancel_window(
    handler_deps: HandlerDeps,
) -> None:
    class_id = docs_class(handler_deps, **DOC_RULES)
    seat = book_at(handler_deps, class_id, START - timedelta(days=3))["data"]["id"]  # type: ignore[index]

    with freeze_time(START - timedelta(hours=1)):
        result = act(handler_deps, seat, "cancel_by_owner", "Sorry Marty")

    assert result["data"]["state"] == "cancelled_by_owner"
