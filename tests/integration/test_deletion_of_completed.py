"""Deleting completed seat bookings: they count in their completed class's seats, and leave it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time

from api_client.contract import tasks
from harness.bodies import class_body, seat_body
from tests.support.handlers import act, command, create, get, now_utc
from tests.support.invariants import seat_accounts
from worker.handlers import HandlerDeps

pytestmark = pytest.mark.integration


def completed_class(deps: HandlerDeps, seats: list[int]) -> tuple[str, list[str]]:
    """A class that ended yesterday, booked while it was ahead, then completed by its owner."""
    start = now_utc().replace(microsecond=0) - timedelta(days=1, hours=2)
    with freeze_time(start - timedelta(days=2)):
        class_id = create(deps, class_body(start))["data"]["id"]
        seat_ids = [
            create(deps, seat_body(class_id, n, name=f"Customer {i}"))["data"]["id"]
            for i, n in enumerate(seats)
        ]
    assert act(deps, class_id, "complete")["data"]["state"] == "completed"
    return class_id, seat_ids


def test_a_completed_seat_booking_deleted_takes_its_seats_out_of_its_class_count(
    handler_deps: HandlerDeps, handler_database: str
) -> None:
    class_id, (gone, kept) = completed_class(handler_deps, [3, 2])

    answer = command(handler_deps, tasks.DELETE_BOOKING, booking_id=gone)

    assert answer["data"]["state"] == "completed"
    klass = get(handler_deps, class_id, "attributes")["data"]
    assert klass["attributes"]["group_booking"]["current_seats"] == 2
    assert get(handler_deps, gone)["status"] == 404
    assert get(handler_deps, kept)["data"]["state"] == "completed"
    [account] = seat_accounts(handler_database, [class_id])
    assert account.holds


def test_a_completed_class_goes_with_its_completed_seat_bookings(
    handler_deps: HandlerDeps,
) -> None:
    class_id, seat_ids = completed_class(handler_deps, [1, 1])

    answer = command(handler_deps, tasks.DELETE_BOOKING, booking_id=class_id)

    assert sorted(answer["data"]["deleted_booking_ids"][:-1]) == sorted(seat_ids)
    assert answer["data"]["deleted_booking_ids"][-1] == class_id
    for booking_id in (class_id, *seat_ids):
        assert get(handler_deps, booking_id)["status"] == 404
