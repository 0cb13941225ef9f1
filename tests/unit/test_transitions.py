"""Deciding an action on a booking, and whether the move gives seats back to the class."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from worker.domain.errors import ActionNotAllowedError, CancelWindowClosedError
from worker.domain.graphs import CUSTOMER_GRAPH
from worker.domain.transitions import decide_action
from worker.domain.waitlist import change_of

START = datetime(2016, 9, 30, 8, 0, tzinfo=UTC)
ONE_DAY_S = 86_400
# The last moment Marty may cancel under the seed's "1 day" min_cancel_time.
DEADLINE = START - timedelta(days=1)
SECOND = timedelta(seconds=1)


def decide(graph: str, state: str, action: str, now: datetime) -> str:
    return decide_action(graph, state, action, now=now, class_start=START, min_cancel_s=ONE_DAY_S)


@pytest.mark.parametrize(
    ("graph", "state", "action", "following"),
    [
        ("group_owner", "tentative", "cancel", "cancelled"),
        ("group_customer", "confirmed", "cancel_by_customer", "cancelled_by_customer"),
        ("group_customer", "confirmed", "cancel_by_owner", "cancelled_by_owner"),
    ],
)
def test_an_allowed_action_in_time_leads_to_its_state(
    graph: str, state: str, action: str, following: str
) -> None:
    assert decide(graph, state, action, DEADLINE - timedelta(days=7)) == following


def test_customer_may_cancel_exactly_at_the_deadline() -> None:
    assert decide("group_customer", "confirmed", "cancel_by_customer", DEADLINE) == (
        "cancelled_by_customer"
    )


def test_customer_cannot_cancel_later_than_min_cancel_time_before_start() -> None:
    with pytest.raises(CancelWindowClosedError):
        decide("group_customer", "confirmed", "cancel_by_customer", DEADLINE + SECOND)


def test_customer_without_min_cancel_time_may_cancel_until_the_start() -> None:
    def cancel_at(now: datetime) -> str:
        return decide_action(
            "group_customer",
            "confirmed",
            "cancel_by_customer",
            now=now,
            class_start=START,
            min_cancel_s=None,
        )

    assert cancel_at(START) == "cancelled_by_customer"
    with pytest.raises(CancelWindowClosedError):
        cancel_at(START + SECOND)


def test_owner_may_cancel_a_seat_booking_after_the_customers_deadline() -> None:
    assert decide("group_customer", "confirmed", "cancel_by_owner", DEADLINE + SECOND) == (
        "cancelled_by_owner"
    )


def test_owner_may_cancel_the_class_after_the_customers_deadline() -> None:
    assert decide("group_owner", "tentative", "cancel", DEADLINE + SECOND) == "cancelled"


def test_an_action_the_state_does_not_allow_is_refused_before_the_deadline_is_checked() -> None:
    with pytest.raises(ActionNotAllowedError):
        decide("group_customer", "cancelled_by_owner", "cancel_by_customer", DEADLINE + SECOND)


def test_an_action_of_the_other_graph_is_refused() -> None:
    with pytest.raises(ActionNotAllowedError):
        decide("group_owner", "tentative", "cancel_by_customer", DEADLINE - SECOND)


@pytest.mark.parametrize(
    ("from_state", "to_state", "releases"),
    [
        ("confirmed", "cancelled_by_customer", True),
        ("confirmed", "cancelled_by_owner", True),
        ("confirmed", "completed", False),
        ("completed", "completed", False),
        ("cancelled_by_customer", "cancelled_by_owner", False),
        ("offered", "offer_declined", True),
        ("offered", "offer_expired", True),
        ("offered", "confirmed", False),
        ("waitlisted", "cancelled_by_customer", False),
    ],
)
def test_only_leaving_seats_held_or_offered_frees_seats_for_the_line(
    from_state: str, to_state: str, releases: bool
) -> None:
    assert change_of(from_state, to_state, 2).frees_seats is releases


@pytest.mark.parametrize("action", CUSTOMER_GRAPH.available_actions("confirmed"))
def test_every_cancellation_of_a_seat_booking_releases_its_seats_and_nothing_else_does(
    action: str,
) -> None:
    to_state = CUSTOMER_GRAPH.next_state("confirmed", action)

    assert change_of("confirmed", to_state, 3).frees_seats is action.startswith("cancel")
