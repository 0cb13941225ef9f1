"""The waitlist, offers, capacity changes and moves through the HTTP gateway, against a real
worker: the README's curl forms, with only the host changed."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from gateway.app import create_app
from gateway.settings import GatewaySettings
from harness.bodies import class_body, in_days, seat_body
from harness.workers import Deployment

pytestmark = pytest.mark.integration

KEY = "live_api_key_waitlist"


@pytest.fixture
def http(deployment: Deployment) -> Iterator[TestClient]:
    settings = GatewaySettings(redis_url=deployment.redis_url, api_keys=SecretStr(KEY), wait_s=30)
    with (
        deployment.client(subscribe_on_submit=False) as booking_client,
        TestClient(create_app(settings, booking_client)) as test_client,
    ):
        auth = base64.b64encode(f":{KEY}".encode()).decode()
        test_client.headers["Authorization"] = f"Basic {auth}"
        test_client.headers["Content-Type"] = "application/x-www-form-urlencoded"  # curl --data
        yield test_client


def send(http: TestClient, method: str, path: str, body: Any, **headers: str) -> httpx.Response:
    return http.request(method, path, content=json.dumps(body), headers=headers)


def created(http: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = send(http, "POST", "/v2/bookings", body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def waiting_body(class_id: str, name: str, seats: int = 1) -> dict[str, Any]:
    return {**seat_body(class_id, seats=seats, name=name), "waitlist": True}


def shown(http: TestClient, booking_id: str, include: str = "attributes") -> dict[str, Any]:
    response = http.get(f"/v2/bookings/{booking_id}", params={"include": include})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def counts(http: TestClient, class_id: str) -> dict[str, Any]:
    group: dict[str, Any] = shown(http, class_id)["attributes"]["group_booking"]
    return group


def put(http: TestClient, booking_id: str, action: str, options: Any = None) -> httpx.Response:
    body = {} if options is None else {action: options}
    return send(http, "PUT", f"/v2/bookings/{booking_id}/{action}", body)


def full_class(http: TestClient, seats: int = 1, **settings: Any) -> tuple[str, str]:
    """A class of `seats` seats with a waitlist, and Marty's booking that fills it."""
    klass = created(http, class_body(in_days(5), max_seats=seats, waitlist_size=10, **settings))
    marty = created(http, seat_body(klass["id"], seats=seats))
    assert marty["state"] == "confirmed"
    return klass["id"], marty["id"]


def test_a_seat_booking_that_may_wait_is_created_waitlisted_and_promoted_by_a_cancel(
    http: TestClient,
) -> None:
    class_id, marty_id = full_class(http)

    biff = created(http, waiting_body(class_id, "Biff Tannen"))

    assert biff["state"] == "waitlisted"
    assert shown(http, biff["id"])["attributes"]["waitlist"]["position"] == 1
    line = shown(http, class_id, "attributes,waitlist")
    assert line["attributes"]["group_booking"] == {
        "current_seats": 1,
        "max_seats": 1,
        "waitlist_seats": 1,
        "offered_seats": 0,
        "waitlist_size": 10,
    }
    [entry] = line["waitlist"]
    assert (entry["id"], entry["state"], entry["seats"], entry["position"]) == (
        biff["id"],
        "waitlisted",
        1,
        1,
    )
    assert entry["customer"]["name"] == "Biff Tannen"

    cancelled = put(http, marty_id, "cancel_by_customer", {"message": "Double booked"})

    assert cancelled.status_code == 200, cancelled.text
    assert shown(http, biff["id"])["state"] == "confirmed"
    assert counts(http, class_id)["waitlist_seats"] == 0
    assert shown(http, class_id, "waitlist")["waitlist"] == []


def test_the_public_list_shows_the_lines_counts_but_never_who_waits(http: TestClient) -> None:
    class_id, _ = full_class(http, seats=2)
    created(http, waiting_body(class_id, "Biff Tannen", seats=2))

    listed = http.get("/v2/bookings/groups")

    assert listed.status_code == 200, listed.text
    [group] = [g for g in listed.json()["data"] if g["id"] == class_id]
    assert group["attributes"]["group_booking"]["waitlist_seats"] == 2
    assert "waitlist" not in group
    assert "Biff" not in listed.text and "mcfly.example" not in listed.text


def test_a_full_class_refuses_a_booking_that_may_not_wait_and_says_its_waitlist_has_room(
    http: TestClient,
) -> None:
    class_id, _ = full_class(http)

    refused = send(http, "POST", "/v2/bookings", seat_body(class_id, name="Biff Tannen"))

    assert refused.status_code == 409, refused.text
    assert set(refused.json()) == {"error"} and "waitlist" in refused.json()["error"]


def test_raising_the_seats_promotes_at_once_and_lowering_below_those_taken_is_refused(
    http: TestClient,
) -> None:
    class_id, _ = full_class(http, seats=2)
    biff = created(http, waiting_body(class_id, "Biff Tannen", seats=2))

    raised = put(http, class_id, "set_max_seats", {"max_seats": 4, "message": "Bigger studio"})

    assert raised.status_code == 200, raised.text
    assert raised.json()["data"]["attributes"]["group_booking"]["max_seats"] == 4
    assert shown(http, biff["id"])["state"] == "confirmed"
    assert counts(http, class_id)["current_seats"] == 4

    lowered = put(http, class_id, "set_max_seats", {"max_seats": 3})

    assert lowered.status_code == 409, lowered.text
    assert set(lowered.json()) == {"error"}
    assert counts(http, class_id)["max_seats"] == 4


def test_a_move_keeps_the_id_and_seats_and_frees_the_old_class(http: TestClient) -> None:
    friday = created(http, class_body(in_days(6), max_seats=5))["id"]
    saturday = created(http, class_body(in_days(7), max_seats=5))["id"]
    seat = created(http, seat_body(friday, seats=2))
    key = {"Idempotency-Key": f"move-{uuid.uuid4()}"}
    options = {"move": {"owner_booking_id": saturday, "message": "Saturday suits me"}}

    moved = send(http, "PUT", f"/v2/bookings/{seat['id']}/move", options, **key)
    again = send(http, "PUT", f"/v2/bookings/{seat['id']}/move", options, **key)

    assert moved.status_code == again.status_code == 200, moved.text
    assert moved.json() == again.json()
    data = moved.json()["data"]
    assert (data["id"], data["owner_booking_id"], data["state"]) == (
        seat["id"],
        saturday,
        "confirmed",
    )
    assert counts(http, friday)["current_seats"] == 0
    assert counts(http, saturday)["current_seats"] == 2
    [move] = [e for e in shown(http, seat["id"], "logs")["logs"] if e["action"] == "move"]
    assert (move["from_class"], move["to_class"]) == (friday, saturday)
    assert move["message"] == "Saturday suits me"


def test_a_move_to_a_class_that_does_not_exist_is_not_found_and_changes_nothing(
    http: TestClient,
) -> None:
    friday = created(http, class_body(in_days(6), max_seats=5))["id"]
    seat = created(http, seat_body(friday))

    missing = put(http, seat["id"], "move", {"owner_booking_id": str(uuid.uuid4())})

    assert missing.status_code == 404, missing.text
    assert set(missing.json()) == {"error"}
    assert shown(http, seat["id"])["owner_booking_id"] == friday


def test_a_move_never_takes_a_seat_held_by_an_offer_in_the_target(http: TestClient) -> None:
    friday = created(http, class_body(in_days(6), max_seats=5))["id"]
    saturday, marty_id = full_class(http, waitlist_promotion="offer", offer_time="1 hour")
    biff = created(http, waiting_body(saturday, "Biff Tannen"))
    assert put(http, marty_id, "cancel_by_customer").status_code == 200
    assert shown(http, biff["id"])["state"] == "offered"  # Saturday's one seat is held for Biff
    seat = created(http, seat_body(friday))

    refused = put(http, seat["id"], "move", {"owner_booking_id": saturday})

    assert refused.status_code == 409, refused.text
    assert shown(http, seat["id"])["owner_booking_id"] == friday
    assert counts(http, saturday)["current_seats"] == 0


def test_in_offer_mode_a_freed_seat_is_offered_then_accepted_or_declined(
    http: TestClient,
) -> None:
    class_id, marty_id = full_class(http, waitlist_promotion="offer", offer_time="1 hour")
    biff = created(http, waiting_body(class_id, "Biff Tannen"))
    george = created(http, waiting_body(class_id, "George McFly"))

    assert put(http, marty_id, "cancel_by_customer").status_code == 200
    offered = shown(http, biff["id"])
    assert offered["state"] == "offered"
    assert offered["attributes"]["waitlist"]["offer_expires_at"]
    assert counts(http, class_id)["offered_seats"] == 1

    accepted = put(http, biff["id"], "accept_offer", {"message": "Yes please"})

    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["data"]["state"] == "confirmed"

    assert put(http, class_id, "set_max_seats", {"max_seats": 2}).status_code == 200
    assert shown(http, george["id"])["state"] == "offered"
    declined = http.put(f"/v2/bookings/{george['id']}/decline_offer")  # no body at all

    assert declined.status_code == 200, declined.text
    assert declined.json()["data"]["state"] == "offer_declined"
    late = put(http, george["id"], "accept_offer")
    assert late.status_code == 409 and set(late.json()) == {"error"}


def test_an_offer_past_its_expiry_cannot_be_accepted_even_before_the_sweep(
    http: TestClient,
) -> None:
    class_id, marty_id = full_class(http, waitlist_promotion="offer", offer_time="1 second")
    biff = created(http, waiting_body(class_id, "Biff Tannen"))
    assert put(http, marty_id, "cancel_by_customer").status_code == 200
    assert shown(http, biff["id"])["state"] == "offered"

    time.sleep(1.5)
    late = put(http, biff["id"], "accept_offer")

    assert late.status_code == 409, late.text
    assert shown(http, biff["id"])["state"] != "confirmed"
