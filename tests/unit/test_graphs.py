"""The booking graphs: where a booking starts, which action leads where, and what is refused."""

from __future__ import annotations

import pytest

from worker.domain.errors import ActionNotAllowedError, DomainError
from worker.domain.graphs import CUSTOMER_GRAPH, GRAPHS, OWNER_GRAPH, Graph

OWNER_EDGES = [
    ("tentative", "cancel", "cancelled"),
    ("tentative", "complete", "completed"),
]
CUSTOMER_EDGES = [
    ("confirmed", "cancel_by_customer", "cancelled_by_customer"),
    ("confirmed", "cancel_by_owner", "cancelled_by_owner"),
    ("confirmed", "complete", "completed"),
]
EVERY_STATE = [(OWNER_GRAPH, state) for state in ("tentative", "cancelled", "completed")] + [
    (CUSTOMER_GRAPH, state)
    for state in ("confirmed", "cancelled_by_customer", "cancelled_by_owner", "completed")
]


def test_a_new_class_starts_tentative() -> None:
    assert OWNER_GRAPH.initial_state == "tentative"


def test_a_new_seat_booking_starts_confirmed() -> None:
    assert CUSTOMER_GRAPH.initial_state == "confirmed"


def test_graphs_are_found_by_their_wire_names() -> None:
    assert dict(GRAPHS) == {"group_owner": OWNER_GRAPH, "group_customer": CUSTOMER_GRAPH}


@pytest.mark.parametrize(("state", "action", "following"), OWNER_EDGES)
def test_each_class_action_leads_to_its_state(state: str, action: str, following: str) -> None:
    assert OWNER_GRAPH.next_state(state, action) == following


@pytest.mark.parametrize(("state", "action", "following"), CUSTOMER_EDGES)
def test_each_seat_booking_action_leads_to_its_state(
    state: str, action: str, following: str
) -> None:
    assert CUSTOMER_GRAPH.next_state(state, action) == following


def test_a_tentative_class_may_be_cancelled_completed_or_resized() -> None:
    assert OWNER_GRAPH.available_actions("tentative") == ["cancel", "complete", "set_max_seats"]


def test_a_confirmed_seat_booking_may_be_cancelled_completed_moved_or_checked_in() -> None:
    assert CUSTOMER_GRAPH.available_actions("confirmed") == [
        "cancel_by_customer",
        "cancel_by_owner",
        "complete",
        "move",
        "check_in",
    ]


def test_a_waiting_booking_shows_only_the_cancels_its_customer_or_owner_may_take() -> None:
    assert CUSTOMER_GRAPH.available_actions("waitlisted") == [
        "cancel_by_customer",
        "cancel_by_owner",
    ]


def test_an_offered_booking_may_be_accepted_declined_or_cancelled() -> None:
    assert CUSTOMER_GRAPH.available_actions("offered") == [
        "accept_offer",
        "decline_offer",
        "cancel_by_customer",
        "cancel_by_owner",
    ]


@pytest.mark.parametrize(
    ("state", "action", "following"),
    [
        ("waitlisted", "promote", "confirmed"),
        ("waitlisted", "offer", "offered"),
        ("waitlisted", "expire_waitlist", "waitlist_expired"),
        ("offered", "accept_offer", "confirmed"),
        ("offered", "decline_offer", "offer_declined"),
        ("offered", "expire_offer", "offer_expired"),
        ("offered", "expire_waitlist", "waitlist_expired"),
    ],
)
def test_the_system_moves_the_line_along_its_own_edges(
    state: str, action: str, following: str
) -> None:
    assert CUSTOMER_GRAPH.next_state(state, action) == following


@pytest.mark.parametrize(
    "state", ["offer_declined", "offer_expired", "waitlist_expired", "cancelled_by_customer"]
)
def test_every_way_out_of_the_line_is_final(state: str) -> None:
    assert CUSTOMER_GRAPH.is_final(state)


@pytest.mark.parametrize(
    ("graph", "state"),
    [
        (OWNER_GRAPH, "cancelled"),
        (OWNER_GRAPH, "completed"),
        (CUSTOMER_GRAPH, "cancelled_by_customer"),
        (CUSTOMER_GRAPH, "cancelled_by_owner"),
        (CUSTOMER_GRAPH, "completed"),
    ],
)
def test_a_cancelled_or_completed_booking_offers_no_action(graph: Graph, state: str) -> None:
    assert graph.available_actions(state) == []


@pytest.mark.parametrize(("graph", "state"), EVERY_STATE)
def test_a_booking_is_final_exactly_when_no_action_is_left(graph: Graph, state: str) -> None:
    assert graph.is_final(state) is (graph.available_actions(state) == [])


@pytest.mark.parametrize("graph", [OWNER_GRAPH, CUSTOMER_GRAPH])
def test_a_new_booking_is_not_final(graph: Graph) -> None:
    assert not graph.is_final(graph.initial_state)


@pytest.mark.parametrize(
    ("graph", "state", "action"),
    [
        (OWNER_GRAPH, "cancelled", "cancel"),
        (OWNER_GRAPH, "completed", "cancel"),
        (OWNER_GRAPH, "cancelled", "complete"),
        (OWNER_GRAPH, "tentative", "cancel_by_customer"),
        (CUSTOMER_GRAPH, "confirmed", "cancel"),
        (CUSTOMER_GRAPH, "cancelled_by_customer", "cancel_by_owner"),
        (CUSTOMER_GRAPH, "cancelled_by_owner", "cancel_by_customer"),
        (CUSTOMER_GRAPH, "completed", "cancel_by_customer"),
    ],
)
def test_an_action_the_state_does_not_allow_is_refused_naming_action_and_state(
    graph: Graph, state: str, action: str
) -> None:
    with pytest.raises(ActionNotAllowedError) as refused:
        graph.next_state(state, action)

    assert repr(action) in str(refused.value)
    assert repr(state) in str(refused.value)


def test_the_refusal_lists_the_actions_the_state_allows_instead() -> None:
    with pytest.raises(ActionNotAllowedError, match=r"allowed: cancel, complete, set_max_seats\)"):
        OWNER_GRAPH.next_state("tentative", "cancel_by_owner")


def test_the_refusal_from_a_final_state_says_no_action_is_allowed() -> None:
    with pytest.raises(ActionNotAllowedError, match=r"allowed: none\)"):
        CUSTOMER_GRAPH.next_state("cancelled_by_owner", "cancel_by_owner")


def test_an_action_not_allowed_is_a_domain_refusal() -> None:
    assert issubclass(ActionNotAllowedError, DomainError)


@pytest.mark.parametrize(
    ("graph", "action", "states"),
    [
        (OWNER_GRAPH, "cancel", ["tentative"]),
        (OWNER_GRAPH, "complete", ["tentative"]),
        (OWNER_GRAPH, "cancel_by_customer", []),
        (CUSTOMER_GRAPH, "cancel_by_customer", ["confirmed", "waitlisted", "offered"]),
        (CUSTOMER_GRAPH, "cancel_by_owner", ["confirmed", "checked_in", "waitlisted", "offered"]),
        (CUSTOMER_GRAPH, "accept_offer", ["offered"]),
        (CUSTOMER_GRAPH, "complete", ["confirmed", "checked_in"]),
        (CUSTOMER_GRAPH, "check_in", ["confirmed"]),
        (CUSTOMER_GRAPH, "cancel", []),
    ],
)
def test_states_allowing_an_action_are_the_states_it_may_be_taken_from(
    graph: Graph, action: str, states: list[str]
) -> None:
    assert graph.states_allowing(action) == states


def test_the_transition_table_cannot_be_changed_at_runtime() -> None:
    with pytest.raises(TypeError):
        OWNER_GRAPH.transitions["tentative"]["cancel"] = "tentative"  # type: ignore[index]
    with pytest.raises(TypeError):
        OWNER_GRAPH.transitions["cancelled"] = {"cancel": "tentative"}  # type: ignore[index]
