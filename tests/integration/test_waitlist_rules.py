"""The waitlist at the handler level on both databases, with the clock frozen by freezegun."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from freezegun import freeze_time

from api_client.contract import tasks
from harness.bodies import class_body, seat_body
from tests.support.handlers import act, command, create, get
from tests.support.invariants import line_accounts
from worker.handlers import CommandRunner, HandlerDeps
from worker.handlers.line import SWEEP_LINES

pytestmark = pytest.mark.integration

START = datetime(2032, 3, 5, 18, 0, tzinfo=UTC)
BEFORE = START - timedelta(days=3)


def a_class(deps: HandlerDeps, seats: int = 2, **settings: Any) -> str:
    with freeze_time(BEFORE):
        body = class_body(START, max_seats=seats, waitlist_size=10, **settings)
        return str(create(deps, body)["data"]["id"])


def book(
    deps: HandlerDeps, class_id: str, seats: int = 1, name: str = "Marty McFly", **options: Any
) -> dict[str, Any]:
    with freeze_time(options.pop("at", BEFORE)):
        return create(deps, seat_body(class_id, seats, name, **options))


def wait(deps: HandlerDeps, class_id: str, seats: int = 1, name: str = "Waiting") -> str:
    waiting = book(deps, class_id, seats, name, waitlist=True)["data"]
    assert waiting["state"] == "waitlisted", waiting
    return str(waiting["id"])


def state_of(deps: HandlerDeps, booking_id: str) -> str:
    return str(get(deps, booking_id)["data"]["state"])


def acted(deps: HandlerDeps, booking_id: str, action: str, at: datetime = BEFORE) -> Any:
    with freeze_time(at):
        return act(deps, booking_id, action)


def line_of(deps: HandlerDeps, class_id: str) -> list[dict[str, Any]]:
    return list(get(deps, class_id, "waitlist")["data"]["waitlist"])


def sweep(deps: HandlerDeps, at: datetime) -> Any:
    return CommandRunner(deps).run(SWEEP_LINES, None, 100, at)


def accounts_hold(deps: HandlerDeps, class_id: str) -> None:
    with deps.read_only() as uow:
        [account] = line_accounts(uow.connection, [class_id])
    assert account.holds, account


def full_class(deps: HandlerDeps, seats: int = 2, **settings: Any) -> tuple[str, list[str]]:
    class_id = a_class(deps, seats, **settings)
    holders = [str(book(deps, class_id, 1, f"Holder {i}")["data"]["id"]) for i in range(seats)]
    return class_id, holders


def test_a_full_class_puts_a_booking_that_asks_to_wait_in_line_with_its_position(
    handler_deps: HandlerDeps,
) -> None:
    class_id, _ = full_class(handler_deps)

    first = book(handler_deps, class_id, 1, "Jennifer", waitlist=True)["data"]
    second = book(handler_deps, class_id, 2, "Biff", waitlist=True)["data"]

    assert (first["state"], first["attributes"]["waitlist"]) == ("waitlisted", {"position": 1})
    assert second["attributes"]["waitlist"] == {"position": 2}
    assert first["available_actions"] == ["cancel_by_customer", "cancel_by_owner"]
    seats = get(handler_deps, class_id, "attributes")["data"]["attributes"]["group_booking"]
    assert seats == {
        "current_seats": 2,
        "max_seats": 2,
        "waitlist_seats": 3,
        "offered_seats": 0,
        "waitlist_size": 10,
    }
    accounts_hold(handler_deps, class_id)


def test_a_full_class_refuses_a_booking_that_does_not_ask_to_wait_and_says_the_line_has_room(
    handler_deps: HandlerDeps,
) -> None:
    class_id, _ = full_class(handler_deps)

    refused = book(handler_deps, class_id)

    assert refused["error"] == (
        "only 0 seats are left in this class; 1 was asked for; "
        'its waitlist has room for 10 seats (book with "waitlist": true)'
    )


def test_a_full_waitlist_refuses_and_says_so(handler_deps: HandlerDeps) -> None:
    class_id, _ = full_class(handler_deps)
    for family in range(5):
        wait(handler_deps, class_id, 2, f"Family {family}")

    refused = book(handler_deps, class_id, 1, waitlist=True)

    assert refused["error"].endswith("its waitlist is full"), refused


def test_a_class_without_a_waitlist_refuses_as_before(handler_deps: HandlerDeps) -> None:
    with freeze_time(BEFORE):
        class_id = create(handler_deps, class_body(START, max_seats=1))["data"]["id"]
    book(handler_deps, class_id)

    refused = book(handler_deps, class_id, waitlist=True)

    assert refused["error"] == "only 0 seats are left in this class; 1 was asked for"


def test_a_cancel_promotes_the_first_waiting_entry_that_fits_and_skips_one_that_does_not(
    handler_deps: HandlerDeps,
) -> None:
    class_id, holders = full_class(handler_deps)
    pair = wait(handler_deps, class_id, 2, "Pair")
    single = wait(handler_deps, class_id, 1, "Single")

    acted(handler_deps, holders[0], "cancel_by_customer")

    assert (state_of(handler_deps, pair), state_of(handler_deps, single)) == (
        "waitlisted",
        "confirmed",
    )
    assert line_of(handler_deps, class_id)[0]["position"] == 1
    promoted = get(handler_deps, single, "logs")["data"]["logs"]
    assert [(e["action"], e["to_state"]) for e in promoted] == [
        ("create", "waitlisted"),
        ("promote", "confirmed"),
    ]
    accounts_hold(handler_deps, class_id)


def test_a_second_freed_seat_lets_the_pair_in_once_both_fit(handler_deps: HandlerDeps) -> None:
    class_id, holders = full_class(handler_deps)
    pair = wait(handler_deps, class_id, 2, "Pair")

    acted(handler_deps, holders[0], "cancel_by_customer")
    assert state_of(handler_deps, pair) == "waitlisted"
    acted(handler_deps, holders[1], "cancel_by_owner")

    assert state_of(handler_deps, pair) == "confirmed"
    accounts_hold(handler_deps, class_id)


def test_a_newcomer_never_jumps_the_line(handler_deps: HandlerDeps) -> None:
    class_id, holders = full_class(handler_deps)
    first = wait(handler_deps, class_id, 1, "First")
    acted(handler_deps, holders[0], "cancel_by_customer")  # the seat goes to First

    newcomer = book(handler_deps, class_id, 1, "Newcomer")

    assert state_of(handler_deps, first) == "confirmed"
    assert "left in this class" in newcomer["error"]


def test_free_seats_no_waiting_entry_fits_go_to_a_newcomer_that_fits(
    handler_deps: HandlerDeps,
) -> None:
    class_id, holders = full_class(handler_deps, seats=3)
    wait(handler_deps, class_id, 3, "Trio")
    acted(handler_deps, holders[0], "cancel_by_customer")

    newcomer = book(handler_deps, class_id, 1, "Newcomer")["data"]

    assert newcomer["state"] == "confirmed"
    accounts_hold(handler_deps, class_id)


def test_offer_mode_offers_freed_seats_for_the_offer_time_and_holds_them(
    handler_deps: HandlerDeps,
) -> None:
    class_id, holders = full_class(handler_deps, waitlist_promotion="offer", offer_time="1 hour")
    waiting = wait(handler_deps, class_id, 1, "Jennifer")

    acted(handler_deps, holders[0], "cancel_by_customer")

    offered = get(handler_deps, waiting, "attributes")["data"]
    expires = (BEFORE + timedelta(hours=1)).isoformat()
    assert (offered["state"], offered["attributes"]["waitlist"]) == (
        "offered",
        {"offer_expires_at": expires},
    )
    assert offered["available_actions"] == [
        "accept_offer",
        "decline_offer",
        "cancel_by_customer",
        "cancel_by_owner",
    ]
    assert "left in this class" in book(handler_deps, class_id, 1, "Newcomer")["error"]
    accounts_hold(handler_deps, class_id)


def test_an_offer_accepted_in_time_confirms_the_seats(handler_deps: HandlerDeps) -> None:
    class_id, holders = full_class(handler_deps, waitlist_promotion="offer", offer_time="1 hour")
    waiting = wait(handler_deps, class_id)
    acted(handler_deps, holders[0], "cancel_by_customer")

    accepted = acted(handler_deps, waiting, "accept_offer", BEFORE + timedelta(minutes=59))

    assert accepted["data"]["state"] == "confirmed"
    accounts_hold(handler_deps, class_id)


def test_an_offer_past_its_deadline_cannot_be_accepted_even_before_the_sweep(
    handler_deps: HandlerDeps,
) -> None:
    class_id, holders = full_class(handler_deps, waitlist_promotion="offer", offer_time="1 hour")
    waiting = wait(handler_deps, class_id)
    acted(handler_deps, holders[0], "cancel_by_customer")

    late = acted(handler_deps, waiting, "accept_offer", BEFORE + timedelta(hours=1))

    assert late["error"].startswith("action 'accept_offer' is not allowed"), late
    assert "offer_expired" in late["error"]
    assert state_of(handler_deps, waiting) == "offered"  # the refusal wrote nothing


def test_a_declined_offer_goes_to_the_next_in_line(handler_deps: HandlerDeps) -> None:
    class_id, holders = full_class(handler_deps, waitlist_promotion="offer")
    first = wait(handler_deps, class_id, 1, "First")
    second = wait(handler_deps, class_id, 1, "Second")
    acted(handler_deps, holders[0], "cancel_by_customer")

    acted(handler_deps, first, "decline_offer")

    assert (state_of(handler_deps, first), state_of(handler_deps, second)) == (
        "offer_declined",
        "offered",
    )
    accounts_hold(handler_deps, class_id)


def test_the_sweep_expires_a_lapsed_offer_and_offers_the_seat_to_the_next(
    handler_deps: HandlerDeps,
) -> None:
    class_id, holders = full_class(handler_deps, waitlist_promotion="offer", offer_time="1 hour")
    first = wait(handler_deps, class_id, 1, "First")
    second = wait(handler_deps, class_id, 1, "Second")
    acted(handler_deps, holders[0], "cancel_by_customer")

    swept = sweep(handler_deps, BEFORE + timedelta(hours=1, seconds=1))

    assert swept["classes"] >= 1
    assert (state_of(handler_deps, first), state_of(handler_deps, second)) == (
        "offer_expired",
        "offered",
    )
    accounts_hold(handler_deps, class_id)


def test_the_sweep_closes_the_line_once_the_class_can_no_longer_be_booked(
    handler_deps: HandlerDeps,
) -> None:
    class_id, _ = full_class(handler_deps)
    waiting = wait(handler_deps, class_id)

    sweep(handler_deps, START + timedelta(seconds=1))

    assert state_of(handler_deps, waiting) == "waitlist_expired"
    seats = get(handler_deps, class_id, "attributes")["data"]["attributes"]["group_booking"]
    assert seats["waitlist_seats"] == 0
    accounts_hold(handler_deps, class_id)


def test_cancelling_the_class_cancels_its_line_too(handler_deps: HandlerDeps) -> None:
    class_id, _ = full_class(handler_deps)
    waiting = wait(handler_deps, class_id)

    acted(handler_deps, class_id, "cancel")

    assert state_of(handler_deps, waiting) == "cancelled_by_owner"
    accounts_hold(handler_deps, class_id)


def test_completing_the_class_ends_its_line_as_expired(handler_deps: HandlerDeps) -> None:
    class_id, _ = full_class(handler_deps)
    waiting = wait(handler_deps, class_id)

    acted(handler_deps, class_id, "complete", START + timedelta(hours=2))

    assert state_of(handler_deps, waiting) == "waitlist_expired"
    accounts_hold(handler_deps, class_id)


def test_a_waiting_customer_may_leave_the_line_even_inside_the_cancel_window(
    handler_deps: HandlerDeps,
) -> None:
    class_id, _ = full_class(handler_deps, min_cancel_time="4 days")
    waiting = wait(handler_deps, class_id)

    left = acted(handler_deps, waiting, "cancel_by_customer")

    assert left["data"]["state"] == "cancelled_by_customer"
    accounts_hold(handler_deps, class_id)


def set_max(deps: HandlerDeps, class_id: str, seats: Any, at: datetime = BEFORE) -> Any:
    with freeze_time(at):
        return command(deps, tasks.SET_MAX_SEATS, booking_id=class_id, max_seats=seats)


def test_raising_max_seats_promotes_at_once(handler_deps: HandlerDeps) -> None:
    class_id, _ = full_class(handler_deps)
    first, second = wait(handler_deps, class_id), wait(handler_deps, class_id, 2)

    raised = set_max(handler_deps, class_id, 5)["data"]

    assert raised["attributes"]["group_booking"]["current_seats"] == 5
    assert (state_of(handler_deps, first), state_of(handler_deps, second)) == (
        "confirmed",
        "confirmed",
    )
    [entry] = get(handler_deps, class_id, "logs")["data"]["logs"][-1:]
    assert (entry["action"], entry["max_seats_before"], entry["max_seats_after"]) == (
        "set_max_seats",
        2,
        5,
    )
    accounts_hold(handler_deps, class_id)


def test_lowering_max_seats_below_the_seats_taken_is_refused_and_nobody_is_pushed_out(
    handler_deps: HandlerDeps,
) -> None:
    class_id, _ = full_class(handler_deps, seats=3)

    refused = set_max(handler_deps, class_id, 2)

    assert refused == {
        "error": "max_seats cannot go below 3: 3 seats are taken and 0 offered, "
        "and nobody is pushed out",
        "status": 409,
    }
    assert (
        get(handler_deps, class_id, "attributes")["data"]["attributes"]["group_booking"][
            "max_seats"
        ]
        == 3
    )


def test_lowering_to_the_seats_taken_is_allowed(handler_deps: HandlerDeps) -> None:
    class_id = a_class(handler_deps, 5)
    book(handler_deps, class_id, 2)

    lowered = set_max(handler_deps, class_id, 2)["data"]

    assert lowered["attributes"]["group_booking"]["max_seats"] == 2


def test_max_seats_below_one_is_invalid(handler_deps: HandlerDeps) -> None:
    class_id = a_class(handler_deps)

    assert "max_seats" in set_max(handler_deps, class_id, 0)["errors"]


def move(deps: HandlerDeps, booking_id: str, to_class: str) -> Any:
    with freeze_time(BEFORE):
        return command(deps, tasks.MOVE_BOOKING, booking_id=booking_id, owner_booking_id=to_class)


def test_a_move_keeps_the_id_and_seats_and_promotes_the_source_line(
    handler_deps: HandlerDeps,
) -> None:
    source, holders = full_class(handler_deps)
    waiting = wait(handler_deps, source)
    target = a_class(handler_deps, 5)

    moved = move(handler_deps, holders[0], target)["data"]

    assert (moved["id"], moved["owner_booking_id"], moved["seats"]) == (holders[0], target, 1)
    assert state_of(handler_deps, waiting) == "confirmed"
    [entry] = get(handler_deps, holders[0], "logs")["data"]["logs"][-1:]
    assert (entry["action"], entry["from_class"], entry["to_class"]) == ("move", source, target)
    accounts_hold(handler_deps, source)
    accounts_hold(handler_deps, target)


def test_a_move_never_jumps_the_targets_line(handler_deps: HandlerDeps) -> None:
    source = a_class(handler_deps, 5)
    mover = book(handler_deps, source)["data"]["id"]
    target, _ = full_class(handler_deps)
    wait(handler_deps, target)

    refused = move(handler_deps, mover, target)

    assert "left in this class" in refused["error"]
    assert get(handler_deps, mover)["data"]["owner_booking_id"] == source


@pytest.mark.parametrize("where", ["same", "unknown", "waiting"])
def test_a_move_that_cannot_be_made_changes_nothing(handler_deps: HandlerDeps, where: str) -> None:
    source, holders = full_class(handler_deps)
    waiting = wait(handler_deps, source)
    target = a_class(handler_deps, 5)
    booking_id, to_class, status = {
        "same": (holders[0], source, 422),
        "unknown": (holders[0], "00000000-0000-4000-8000-000000000000", 404),
        "waiting": (waiting, target, 409),
    }[where]

    refused = move(handler_deps, booking_id, to_class)

    assert refused["status"] == status, refused
    assert get(handler_deps, booking_id)["data"]["owner_booking_id"] == source
    accounts_hold(handler_deps, source)


def test_positions_have_no_gaps_after_one_leaves(handler_deps: HandlerDeps) -> None:
    class_id, _ = full_class(handler_deps)
    ids = [wait(handler_deps, class_id, 1, f"W{i}") for i in range(4)]

    acted(handler_deps, ids[1], "cancel_by_customer")

    line = line_of(handler_deps, class_id)
    assert [(entry["id"], entry["position"]) for entry in line] == [
        (ids[0], 1),
        (ids[2], 2),
        (ids[3], 3),
    ]
    assert get(handler_deps, ids[3], "attributes")["data"]["attributes"]["waitlist"] == {
        "position": 3
    }
