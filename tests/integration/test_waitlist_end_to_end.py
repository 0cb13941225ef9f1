"""The waitlist through the client and a real worker, on PostgreSQL and SQLite."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from api_client import BookingClient, ConflictError
from api_client.contract import BookingResponse, GroupListResponse
from harness.bodies import class_body, in_days, seat_body

pytestmark = pytest.mark.integration


def valid(response: dict[str, Any]) -> dict[str, Any]:
    """The response's data, once it has validated against the client's contract."""
    BookingResponse.model_validate(response)
    data: dict[str, Any] = response["data"]
    return data


def full_class(client: BookingClient, seats: int = 2, **settings: Any) -> tuple[str, list[str]]:
    """A class of `seats` seats with a waitlist of 10, and the ids of the bookings that fill it."""
    body = class_body(max_seats=seats, waitlist_size=10, **settings)
    class_id = str(valid(client.create_booking(body))["id"])
    holders = [
        str(client.create_booking(seat_body(class_id, 1, f"Holder {i}"))["data"]["id"])
        for i in range(seats)
    ]
    return class_id, holders


def wait_in_line(client: BookingClient, class_id: str, seats: int = 1, name: str = "W") -> str:
    waiting = valid(client.create_booking(seat_body(class_id, seats, name, waitlist=True)))
    assert waiting["state"] == "waitlisted", waiting
    return str(waiting["id"])


def shown(client: BookingClient, booking_id: str, *include: str) -> dict[str, Any]:
    return valid(client.get_booking(booking_id, include=list(include)))


def seats_of(client: BookingClient, class_id: str) -> dict[str, Any]:
    seats: dict[str, Any] = shown(client, class_id, "attributes")["attributes"]["group_booking"]
    return seats


def test_a_waiting_booking_is_promoted_when_a_holder_cancels(client: BookingClient) -> None:
    class_id, holders = full_class(client)

    jennifer = valid(client.create_booking(seat_body(class_id, 1, "Jennifer", waitlist=True)))

    assert (jennifer["state"], jennifer["attributes"]["waitlist"]) == (
        "waitlisted",
        {"position": 1},
    )
    assert jennifer["available_actions"] == ["cancel_by_customer", "cancel_by_owner"]
    assert seats_of(client, class_id) == {
        "current_seats": 2,
        "max_seats": 2,
        "waitlist_seats": 1,
        "offered_seats": 0,
        "waitlist_size": 10,
    }

    valid(client.cancel_by_customer(holders[0], "Double booked. Sorry, Doc!"))

    promoted = shown(client, jennifer["id"], "attributes", "logs")
    assert promoted["state"] == "confirmed"
    assert "waitlist" not in promoted["attributes"]
    assert [(e["action"], e["to_state"]) for e in promoted["logs"]] == [
        ("create", "waitlisted"),
        ("promote", "confirmed"),
    ]
    assert seats_of(client, class_id)["current_seats"] == 2
    assert seats_of(client, class_id)["waitlist_seats"] == 0


def test_a_full_class_refuses_without_waitlist_true_and_says_the_line_has_room(
    client: BookingClient,
) -> None:
    class_id, _ = full_class(client)

    with pytest.raises(ConflictError) as refused:
        client.create_booking(seat_body(class_id, 1, "Biff"))

    assert refused.value.status == 409
    assert "its waitlist has room for 10 seats" in refused.value.message
    assert seats_of(client, class_id)["waitlist_seats"] == 0


def test_include_waitlist_shows_the_line_in_arrival_order_with_positions(
    client: BookingClient,
) -> None:
    class_id, _ = full_class(client)
    ids = [
        wait_in_line(client, class_id, seats, f"Waiter {n}") for n, seats in enumerate([1, 2, 1])
    ]

    line = shown(client, class_id, "waitlist")["waitlist"]

    assert [(e["id"], e["state"], e["seats"], e["position"]) for e in line] == [
        (ids[0], "waitlisted", 1, 1),
        (ids[1], "waitlisted", 2, 2),
        (ids[2], "waitlisted", 1, 3),
    ]
    assert [e["customer"]["name"] for e in line] == ["Waiter 0", "Waiter 1", "Waiter 2"]

    valid(client.cancel_by_customer(ids[0]))

    line = shown(client, class_id, "waitlist")["waitlist"]
    assert [(e["id"], e["position"]) for e in line] == [(ids[1], 1), (ids[2], 2)]
    assert shown(client, ids[2], "attributes")["attributes"]["waitlist"] == {"position": 2}


def test_the_public_list_shows_the_counts_and_never_who_waits(client: BookingClient) -> None:
    start = in_days(40, hour=6)
    body = class_body(start, max_seats=2, waitlist_size=5)
    class_id = valid(client.create_booking(body))["id"]
    client.create_booking(seat_body(class_id, 1, "Holder"))
    wait_in_line(client, class_id, 2, "Secret Waiter")

    listed = client.list_groups(start=start - timedelta(hours=1), end=start + timedelta(hours=2))

    GroupListResponse.model_validate(listed)
    [entry] = [group for group in listed["data"] if group["id"] == class_id]
    assert entry["attributes"]["group_booking"] == {
        "current_seats": 1,
        "max_seats": 2,
        "waitlist_seats": 2,
        "offered_seats": 0,
        "waitlist_size": 5,
    }
    assert "waitlist" not in entry
    assert "related_bookings" not in entry
    assert "Secret Waiter" not in str(listed) and "secret.waiter" not in str(listed)


def test_in_offer_mode_a_freed_seat_is_offered_and_accepting_confirms_it(
    client: BookingClient,
) -> None:
    class_id, holders = full_class(client, waitlist_promotion="offer", offer_time="1 hour")
    waiting = wait_in_line(client, class_id, 1, "Jennifer")

    valid(client.cancel_by_customer(holders[0]))

    offered = shown(client, waiting, "attributes")
    assert offered["state"] == "offered"
    assert set(offered["attributes"]["waitlist"]) == {"offer_expires_at"}
    assert offered["available_actions"][:2] == ["accept_offer", "decline_offer"]
    [entry] = shown(client, class_id, "waitlist")["waitlist"]
    assert (entry["id"], entry["state"]) == (waiting, "offered")
    assert entry["offer_expires_at"] == offered["attributes"]["waitlist"]["offer_expires_at"]
    assert "position" not in entry
    assert seats_of(client, class_id)["offered_seats"] == 1
    # The offered seat is held: a newcomer cannot take it.
    with pytest.raises(ConflictError):
        client.create_booking(seat_body(class_id, 1, "Newcomer"))

    accepted = valid(client.accept_offer(waiting, "On my way"))

    assert accepted["state"] == "confirmed"
    seats = seats_of(client, class_id)
    assert (seats["current_seats"], seats["offered_seats"]) == (2, 0)
    logs = shown(client, waiting, "logs")["logs"]
    assert [e["action"] for e in logs] == ["create", "offer", "accept_offer"]


def test_a_declined_offer_goes_to_the_next_in_line(client: BookingClient) -> None:
    class_id, holders = full_class(client, waitlist_promotion="offer", offer_time="1 hour")
    first = wait_in_line(client, class_id, 1, "First")
    second = wait_in_line(client, class_id, 1, "Second")
    valid(client.cancel_by_owner(holders[1], "Moved you out, sorry"))

    declined = valid(client.decline_offer(first, "Can't make it"))

    assert declined["state"] == "offer_declined"
    assert declined["completed"] is True
    assert shown(client, second)["state"] == "offered"
    assert seats_of(client, class_id)["offered_seats"] == 1
    with pytest.raises(ConflictError):
        client.accept_offer(first)


def test_raising_max_seats_promotes_the_line_at_once(client: BookingClient) -> None:
    class_id, _ = full_class(client)
    pair = wait_in_line(client, class_id, 2, "Pair")
    single = wait_in_line(client, class_id, 1, "Single")

    raised = valid(client.set_max_seats(class_id, 4, "A bigger room"))

    assert raised["state"] == "tentative"
    assert raised["attributes"]["group_booking"]["max_seats"] == 4
    assert (shown(client, pair)["state"], shown(client, single)["state"]) == (
        "confirmed",
        "waitlisted",
    )
    assert shown(client, single, "attributes")["attributes"]["waitlist"] == {"position": 1}
    [entry] = shown(client, class_id, "logs")["logs"][-1:]
    assert (entry["action"], entry["max_seats_before"], entry["max_seats_after"]) == (
        "set_max_seats",
        2,
        4,
    )
    with pytest.raises(ConflictError, match="nobody is pushed out"):
        client.set_max_seats(class_id, 3)
    assert seats_of(client, class_id)["max_seats"] == 4


def test_a_move_keeps_the_booking_and_promotes_the_old_class_line(
    client: BookingClient,
) -> None:
    source, holders = full_class(client)
    waiting = wait_in_line(client, source, 1, "Jennifer")
    target = valid(client.create_booking(class_body(in_days(8), max_seats=5)))["id"]

    moved = valid(client.move(holders[0], target, "See you next week"))

    assert (moved["id"], moved["owner_booking_id"], moved["seats"], moved["state"]) == (
        holders[0],
        target,
        1,
        "confirmed",
    )
    assert shown(client, waiting)["state"] == "confirmed"
    assert seats_of(client, source)["current_seats"] == 2
    assert seats_of(client, target)["current_seats"] == 1
    [entry] = shown(client, holders[0], "logs")["logs"][-1:]
    assert (entry["action"], entry["from_class"], entry["to_class"], entry["message"]) == (
        "move",
        source,
        target,
        "See you next week",
    )
