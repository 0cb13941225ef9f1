"""The seed's yoga-class walk-through, dates moved into the future, through a live worker."""

from __future__ import annotations

from datetime import timedelta

import pytest

from api_client import BookingClient, ConflictError
from api_client.contract import BookingResponse, GroupListResponse
from harness.bodies import class_body, in_days, seat_body

NO_LINE = {"waitlist_seats": 0, "offered_seats": 0, "waitlist_size": 0}

pytestmark = pytest.mark.integration

MARTY = {"name": "Marty McFly", "email": "marty@mcfly.example"}


def test_the_seed_walkthrough_answers_as_the_guide_describes(client: BookingClient) -> None:
    friday = in_days(10)

    # 1. Define availability: Doc sets up a class with 20 seats and booking rules.
    created = client.create_booking(
        class_body(
            friday,
            min_cancel_time="1 day",
            min_booking_time="2 hours",
            max_booking_time="14 days",
        )
    )
    BookingResponse.model_validate(created)
    klass = created["data"]
    assert (klass["state"], klass["graph"], klass["completed"]) == (
        "tentative",
        "group_owner",
        False,
    )
    # The guide's two counts, beside the waitlist's (none here).
    assert klass["attributes"]["group_booking"] == {"current_seats": 0, "max_seats": 20} | NO_LINE
    assert klass["attributes"]["event_info"]["start"] == friday.isoformat()
    assert klass["available_actions"] == ["cancel", "complete", "set_max_seats"]

    # Query availability: the class is listed, without any customer data.
    listed = client.list_groups(start=friday - timedelta(hours=1), end=friday + timedelta(hours=2))
    GroupListResponse.model_validate(listed)
    assert klass["id"] in [group["id"] for group in listed["data"]]

    # 2. Marty signs up: 19 spots left; then 2 seats as he brings a friend: 17 left.
    marty = client.create_booking(
        {"graph": "group_customer", "related": {"owner_booking_id": klass["id"]}, "customer": MARTY}
    )
    BookingResponse.model_validate(marty)
    assert marty["data"]["state"] == "confirmed"
    assert (marty["data"]["seats"], marty["data"]["owner_booking_id"]) == (1, klass["id"])
    with_friend = client.create_booking(
        {
            "graph": "group_customer",
            "action": "create",
            "related": {"owner_booking_id": klass["id"], "seats": 2},
            "customer": MARTY,
        }
    )
    assert with_friend["data"]["seats"] == 2
    seats = client.get_booking(klass["id"], include=["attributes"])["data"]["attributes"]
    assert seats["group_booking"] == {"current_seats": 3, "max_seats": 20} | NO_LINE

    # 3. Marty cancels his first booking with a message to Doc.
    cancelled = client.cancel_by_customer(marty["data"]["id"], "Double booked. Sorry, Doc!")
    assert cancelled["data"]["state"] == "cancelled_by_customer"
    assert cancelled["data"]["completed"] is True
    assert cancelled["data"]["available_actions"] == []

    # 4. Doc counts mats: related bookings carry their seats.
    managed = client.get_booking(klass["id"], include=["attributes", "related_bookings"])
    BookingResponse.model_validate(managed)
    assert managed["data"]["attributes"]["group_booking"]["current_seats"] == 2
    related = {entry["id"]: entry for entry in managed["data"]["related_bookings"]}
    assert related[marty["data"]["id"]]["state"] == "cancelled_by_customer"
    assert related[with_friend["data"]["id"]]["seats"] == 2

    # Doc cancels the class: everyone who signed up is cancelled by the owner, seats released.
    doc_says = "Getting the DeLorean fixed that day. Doc."
    after_cancel = client.cancel(klass["id"], doc_says)["data"]
    assert after_cancel["state"] == "cancelled"
    assert after_cancel["attributes"]["group_booking"]["current_seats"] == 0
    states = {entry["id"]: entry["state"] for entry in after_cancel["related_bookings"]}
    assert states == {
        marty["data"]["id"]: "cancelled_by_customer",
        with_friend["data"]["id"]: "cancelled_by_owner",
    }
    friend_logs = client.get_booking(with_friend["data"]["id"], include=["logs"])["data"]["logs"]
    assert friend_logs[-1]["message"] == doc_says
    assert friend_logs[-1]["to_state"] == "cancelled_by_owner"

    # The cancelled class is gone from the public list and takes no more seats.
    assert klass["id"] not in [group["id"] for group in client.list_groups()["data"]]
    with pytest.raises(ConflictError, match="cancelled"):
        client.create_booking(seat_body(klass["id"]))


def test_every_transition_is_logged_and_read_back_with_include_logs(client: BookingClient) -> None:
    klass = client.create_booking(class_body())["data"]
    seat = client.create_booking(seat_body(klass["id"], seats=3))["data"]
    client.cancel_by_owner(seat["id"], "Sorry, the room is smaller than planned")

    logs = client.get_booking(seat["id"], include=["logs"])["data"]["logs"]

    assert [(e["action"], e["from_state"], e["to_state"], e["message"]) for e in logs] == [
        ("create", None, "confirmed", None),
        (
            "cancel_by_owner",
            "confirmed",
            "cancelled_by_owner",
            "Sorry, the room is smaller than planned",
        ),
    ]
