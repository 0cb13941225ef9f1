"""The gateway's new action bodies (offers, move, set_max_seats): bad ones answer 422 in Timekit's
shape before anything is enqueued, and the public list never shows who waits."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api_client import BookingClient, PendingResult
from gateway.app import create_app
from gateway.routes import without_customers
from gateway.settings import GatewaySettings
from harness.redis_databases import redis_url

pytestmark = pytest.mark.integration

KEY = "live_api_key_action_bodies"
BOOKING_ID = str(uuid.uuid4())
CLASS_ID = str(uuid.uuid4())


class NothingSentError(AssertionError):
    """A request the gateway should have refused reached the queue."""


class RefusingClient(BookingClient):
    """The real client, whose validation runs as ever, but which fails the test if it sends."""

    def _send(
        self, task_name: str, kwargs: dict[str, Any], idempotency_key: str | None = None
    ) -> PendingResult:
        raise NothingSentError(f"{task_name} was enqueued with {kwargs}")


@pytest.fixture
def http() -> Iterator[TestClient]:
    # No worker: every request here must be answered by the gateway and the client alone. The
    # result watcher only subscribes to the deployment's database; it writes nothing there.
    url = redis_url("deployment-postgresql")
    settings = GatewaySettings(redis_url=url, api_keys=SecretStr(KEY), wait_s=1)
    with (
        RefusingClient(url, subscribe_on_submit=False) as booking_client,
        TestClient(create_app(settings, booking_client), raise_server_exceptions=True) as client,
    ):
        auth = base64.b64encode(f":{KEY}".encode()).decode()
        client.headers["Authorization"] = f"Basic {auth}"
        client.headers["Content-Type"] = "application/x-www-form-urlencoded"  # as curl --data
        yield client


def put(http: TestClient, booking_id: str, action: str, body: Any) -> httpx.Response:
    content = None if body is None else json.dumps(body)
    return http.put(f"/v2/bookings/{booking_id}/{action}", content=content)


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (None, {"move.owner_booking_id": ["Field required"]}),
        ({}, {"move.owner_booking_id": ["Field required"]}),
        ({"move": {}}, {"move.owner_booking_id": ["Field required"]}),
        ({"move": {"message": "Saturday instead"}}, {"move.owner_booking_id": ["Field required"]}),
        (
            {"move": {"owner_booking_id": "saturday"}},
            {
                "move.owner_booking_id": [
                    "Input should be a valid UUID, invalid character: found `s` at 0"
                ]
            },
        ),
        (
            {"move": {"owner_booking_id": BOOKING_ID}},
            {"move.owner_booking_id": ["must be a class, not the booking moved"]},
        ),
        (
            {"move": {"owner_booking_id": CLASS_ID, "seats": 2}},
            {"move.seats": ["Extra inputs are not permitted"]},
        ),
        (
            {"move": {"owner_booking_id": CLASS_ID, "message": "x" * 2001}},
            {"move.message": ["String should have at most 2000 characters"]},
        ),
        (
            {"cancel": {"message": "wrong key"}},
            {"cancel": ["is not the action in the path (move)"]},
        ),
    ],
)
def test_a_move_needs_the_class_it_moves_to_named_under_move(
    http: TestClient, body: Any, errors: dict[str, list[str]]
) -> None:
    response = put(http, BOOKING_ID, "move", body)

    assert response.status_code == 422, response.text
    assert response.json() == {"errors": errors}


def test_a_move_to_itself_is_refused_however_the_path_spells_the_id(http: TestClient) -> None:
    response = put(http, BOOKING_ID.upper(), "move", {"move": {"owner_booking_id": BOOKING_ID}})

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["move.owner_booking_id"]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (None, {"set_max_seats.max_seats": ["Field required"]}),
        ({"set_max_seats": {}}, {"set_max_seats.max_seats": ["Field required"]}),
        (
            {"set_max_seats": {"max_seats": 0}},
            {"set_max_seats.max_seats": ["Input should be greater than or equal to 1"]},
        ),
        (
            {"set_max_seats": {"max_seats": 100_001}},
            {"set_max_seats.max_seats": ["Input should be less than or equal to 100000"]},
        ),
        (
            {"set_max_seats": {"max_seats": "25"}},
            {"set_max_seats.max_seats": ["Input should be a valid integer"]},
        ),
        (
            {"set_max_seats": {"max_seats": 25.0}},
            {"set_max_seats.max_seats": ["Input should be a valid integer"]},
        ),
        (
            {"set_max_seats": {"max_seats": 25, "waitlist_size": 5}},
            {"set_max_seats.waitlist_size": ["Extra inputs are not permitted"]},
        ),
        (
            {"set_max_seats": {"max_seats": 25}, "move": {}},
            {"move": ["is not the action in the path (set_max_seats)"]},
        ),
    ],
)
def test_a_capacity_change_needs_one_to_a_hundred_thousand_seats_named_under_set_max_seats(
    http: TestClient, body: Any, errors: dict[str, list[str]]
) -> None:
    response = put(http, CLASS_ID, "set_max_seats", body)

    assert response.status_code == 422, response.text
    assert response.json() == {"errors": errors}


@pytest.mark.parametrize("action", ["accept_offer", "decline_offer"])
def test_an_offer_answer_takes_at_most_a_message_under_its_own_key(
    http: TestClient, action: str
) -> None:
    extra = put(http, BOOKING_ID, action, {action: {"seats": 2}})
    wrong_key = put(http, BOOKING_ID, action, {"cancel": {}})
    not_text = put(http, BOOKING_ID, action, {action: {"message": 3}})

    assert extra.status_code == wrong_key.status_code == not_text.status_code == 422
    assert extra.json() == {"errors": {f"{action}.seats": ["Extra inputs are not permitted"]}}
    assert wrong_key.json() == {"errors": {"cancel": [f"is not the action in the path ({action})"]}}
    assert not_text.json() == {"errors": {f"{action}.message": ["Input should be a valid string"]}}


@pytest.mark.parametrize("action", ["accept_offer", "decline_offer", "move", "set_max_seats"])
def test_a_malformed_booking_id_in_the_path_is_refused_by_the_client(
    http: TestClient, action: str
) -> None:
    options = {"move": {"owner_booking_id": CLASS_ID}, "set_max_seats": {"max_seats": 25}}
    body = {action: options[action]} if action in options else None

    response = put(http, "not-a-booking", action, body)

    assert response.status_code == 422, response.text
    assert list(response.json()["errors"]) == ["booking_id"]


def test_an_unknown_action_is_still_refused_at_action(http: TestClient) -> None:
    response = put(http, BOOKING_ID, "promote", {})

    assert response.status_code == 422 and "action" in response.json()["errors"]


def test_the_include_of_the_waitlist_is_passed_on_to_the_client(http: TestClient) -> None:
    # A query is sent too, so the refusing client reaching _send proves the include was valid.
    with pytest.raises(NothingSentError, match=r"'include': \['attributes', 'waitlist'\]"):
        http.get(f"/v2/bookings/{CLASS_ID}", params={"include": "attributes,waitlist"})


def test_the_openapi_document_describes_each_actions_body(http: TestClient) -> None:
    document = http.get("/v2/openapi.json").json()

    schemas = document["components"]["schemas"]
    properties = schemas["ActionBody"]["properties"]
    assert set(properties) == {
        "cancel",
        "cancel_by_customer",
        "cancel_by_owner",
        "complete",
        "accept_offer",
        "decline_offer",
        "move",
        "set_max_seats",
        "check_in",
    }
    assert properties["accept_offer"] == {"$ref": "#/components/schemas/ActionMessage"}
    assert properties["move"] == {"$ref": "#/components/schemas/MoveOptions"}
    assert schemas["MoveOptions"]["required"] == ["owner_booking_id"]
    assert schemas["SetMaxSeatsOptions"]["required"] == ["max_seats"]
    action = document["paths"]["/v2/bookings/{booking_id}/{action}"]["put"]
    [path_action] = [p for p in action["parameters"] if p["name"] == "action"]
    assert set(path_action["schema"]["enum"]) == set(properties)


def test_the_public_list_drops_the_line_and_keeps_its_counts() -> None:
    counts = {
        "current_seats": 20,
        "max_seats": 20,
        "waitlist_seats": 3,
        "offered_seats": 0,
        "waitlist_size": 10,
    }
    listed = {
        "data": [
            {
                "id": CLASS_ID,
                "attributes": {"group_booking": counts, "owner": {"name": "Doc"}},
                "related_bookings": [{"id": BOOKING_ID}],
                "waitlist": [{"id": BOOKING_ID, "customer": {"name": "Biff Tannen"}}],
            }
        ]
    }

    shown = without_customers(listed)

    assert shown == {"data": [{"id": CLASS_ID, "attributes": {"group_booking": counts}}]}
