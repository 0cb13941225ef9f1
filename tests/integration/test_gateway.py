"""The HTTP gateway in front of a real worker: the seed's curl requests, auth, jobs, errors."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from gateway.app import create_app
from gateway.settings import GatewaySettings
from harness.bodies import class_body, in_days, seat_body
from harness.workers import Deployment
from tests.support.pausing import workers_paused

pytestmark = pytest.mark.integration

KEY = "live_api_key_7nzvc7wsBQQISLeFSVhROys9V1bUJ1z7"
SECOND_KEY = "live_api_key_second"
# curl --data labels a JSON body as a form; the gateway must read it as JSON regardless.
CURL_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def basic(key: str, user: str = "") -> str:
    return "Basic " + base64.b64encode(f"{user}:{key}".encode()).decode()


def settings_for(deployment: Deployment, wait_s: float) -> GatewaySettings:
    digest = hashlib.sha256(SECOND_KEY.encode()).hexdigest()
    return GatewaySettings(
        redis_url=deployment.redis_url,
        api_keys=SecretStr(f"{KEY},sha256:{digest}"),
        wait_s=wait_s,
    )


@pytest.fixture
def http(deployment: Deployment) -> Iterator[TestClient]:
    with (
        deployment.client(subscribe_on_submit=False) as booking_client,
        TestClient(create_app(settings_for(deployment, 30), booking_client)) as test_client,
    ):
        test_client.headers["Authorization"] = basic(KEY)
        yield test_client


@pytest.fixture
def impatient(deployment: Deployment) -> Iterator[TestClient]:
    """A gateway that does not wait: a command answers 202 with its job unless its result is
    already stored. Send through it inside `workers_paused` for the 202 to be certain."""
    with (
        deployment.client(subscribe_on_submit=False) as booking_client,
        TestClient(create_app(settings_for(deployment, 0), booking_client)) as test_client,
    ):
        test_client.headers["Authorization"] = basic(KEY)
        yield test_client


def curl_data(
    http: TestClient, method: str, path: str, body: Any, **headers: str
) -> httpx.Response:
    return http.request(method, path, content=json.dumps(body), headers={**CURL_FORM, **headers})


def test_the_seed_walkthrough_works_with_only_the_host_changed(http: TestClient) -> None:
    start = in_days(7)
    plain = curl_data(http, "POST", "/v2/bookings", class_body(start))
    assert plain.status_code == 201, plain.text
    assert plain.json()["data"]["attributes"]["group_booking"]["max_seats"] == 20

    ruled = class_body(
        start, min_cancel_time="1 day", min_booking_time="2 hours", max_booking_time="14 days"
    )
    created = curl_data(http, "POST", "/v2/bookings", ruled)
    assert created.status_code == 201, created.text
    class_id = created.json()["data"]["id"]

    window = {"start": (start - timedelta(hours=1)).isoformat(), "end": start.isoformat()}
    window["end"] = (start + timedelta(hours=2)).isoformat()
    listed = http.get("/v2/bookings/groups", params=window)
    assert listed.status_code == 200, listed.text
    assert class_id in {booking["id"] for booking in listed.json()["data"]}

    marty = seat_body(class_id)
    del marty["action"]  # the seed's first customer body has no action
    first = curl_data(http, "POST", "/v2/bookings", marty)
    assert first.status_code == 201, first.text
    second = curl_data(http, "POST", "/v2/bookings", seat_body(class_id, seats=2))
    assert second.status_code == 201, second.text

    groups = http.get("/v2/bookings/groups")
    assert groups.status_code == 200
    assert "mcfly.example" not in groups.text and "customer" not in groups.text

    seat_id = first.json()["data"]["id"]
    cancelled = curl_data(
        http,
        "PUT",
        f"/v2/bookings/{seat_id}/cancel_by_customer",
        {"cancel_by_customer": {"message": "Double booked. Sorry, Doc!"}},
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["data"]["state"] == "cancelled_by_customer"

    shown = http.get(f"/v2/bookings/{class_id}?include=attributes,related_bookings")
    assert shown.status_code == 200, shown.text
    assert shown.json()["data"]["attributes"]["group_booking"]["current_seats"] == 2
    assert len(shown.json()["data"]["related_bookings"]) == 2

    doc_cancels = curl_data(
        http,
        "PUT",
        f"/v2/bookings/{class_id}/cancel",
        {"cancel": {"message": "Getting the DeLorean fixed that day. Doc."}},
    )
    assert doc_cancels.status_code == 200, doc_cancels.text
    assert doc_cancels.json()["data"]["state"] == "cancelled"
    logs = http.get(f"/v2/bookings/{class_id}", params={"include": "logs"}).json()["data"]["logs"]
    assert logs[-1]["message"] == "Getting the DeLorean fixed that day. Doc."


@pytest.mark.parametrize(
    "authorization",
    [None, basic("live_api_key_wrong"), basic(KEY, user="doc"), f"Bearer {KEY}", "Basic %%%"],
)
def test_requests_without_an_accepted_key_get_401(
    http: TestClient, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    if authorization is None:
        del http.headers["Authorization"]
    response = http.get("/v2/bookings/groups", headers=headers)
    assert response.status_code == 401
    assert set(response.json()) == {"error"}
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    created = curl_data(http, "POST", "/v2/bookings", class_body(), **headers)
    assert created.status_code == 401


def test_a_key_configured_as_its_digest_is_accepted(http: TestClient) -> None:
    response = http.get("/v2/bookings/groups", headers={"Authorization": basic(SECOND_KEY)})
    assert response.status_code == 200, response.text


def submitted_as_job(http: TestClient, method: str, path: str, body: Any) -> httpx.Response:
    """Send a command while no worker runs: it must answer 202 and its job must be pending."""
    submitted = curl_data(http, method, path, body)
    assert submitted.status_code == 202, submitted.text
    job_id = submitted.json()["data"]["job_id"]
    assert submitted.headers["Location"] == f"/v2/jobs/{job_id}"
    pending = http.get(submitted.headers["Location"])
    assert pending.status_code == 202, pending.text
    assert pending.json() == {"data": {"job_id": job_id, "state": "pending"}}
    return submitted


def test_a_slow_answer_becomes_a_job_to_poll(impatient: TestClient, deployment: Deployment) -> None:
    with workers_paused(deployment):
        submitted = submitted_as_job(impatient, "POST", "/v2/bookings", class_body())

    result = poll(impatient, submitted.headers["Location"])
    assert result.json()["data"]["graph"] == "group_owner"

    with workers_paused(deployment):
        refused = submitted_as_job(impatient, "PUT", f"/v2/bookings/{uuid.uuid4()}/cancel", {})
    missing = poll(impatient, refused.headers["Location"], expected=404)
    assert set(missing.json()) == {"error"}


def test_bulk_and_series_commands_become_jobs_too(
    impatient: TestClient, deployment: Deployment
) -> None:
    with workers_paused(deployment):
        bulk = submitted_as_job(
            impatient, "POST", "/v2/bookings/bulk", {"bookings": [class_body()]}
        )
    assert poll(impatient, bulk.headers["Location"]).json()["data"][0]["data"]["graph"] == (
        "group_owner"
    )

    series = class_body()
    series["recurrence"] = {"rrule": "FREQ=WEEKLY;COUNT=2", "timezone": "UTC"}
    with workers_paused(deployment):
        created = submitted_as_job(impatient, "POST", "/v2/bookings/recurring", series)
    assert len(poll(impatient, created.headers["Location"]).json()["data"]["bookings"]) == 2


def poll(http: TestClient, location: str, expected: int = 200) -> httpx.Response:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        response = http.get(location)
        if response.status_code != 202:
            assert response.status_code == expected, response.text
            return response
        time.sleep(0.05)
    raise AssertionError(f"{location} still pending after 30 s")


def test_an_unknown_job_is_pending_and_a_malformed_one_not_found(http: TestClient) -> None:
    assert http.get(f"/v2/jobs/{uuid.uuid4()}").status_code == 202
    assert http.get("/v2/jobs/not-a-job").status_code == 404


def test_the_idempotency_key_header_replays_the_first_booking(http: TestClient) -> None:
    class_id = curl_data(http, "POST", "/v2/bookings", class_body()).json()["data"]["id"]
    key = {"Idempotency-Key": f"order-{uuid.uuid4()}"}
    first = curl_data(http, "POST", "/v2/bookings", seat_body(class_id), **key)
    again = curl_data(http, "POST", "/v2/bookings", seat_body(class_id), **key)
    assert first.status_code == again.status_code == 201
    assert first.json()["data"]["id"] == again.json()["data"]["id"]
    seats = http.get(f"/v2/bookings/{class_id}", params={"include": "attributes"}).json()
    assert seats["data"]["attributes"]["group_booking"]["current_seats"] == 1

    different = curl_data(http, "POST", "/v2/bookings", seat_body(class_id, seats=3), **key)
    assert different.status_code == 422


@pytest.mark.parametrize("raw", [b"{", b"\xff\xfe", b'{"graph": '])
def test_malformed_json_is_a_400_not_a_500(http: TestClient, raw: bytes) -> None:
    response = http.post("/v2/bookings", content=raw, headers=CURL_FORM)
    assert response.status_code == 400
    assert response.json()["error"].startswith("the body is not valid JSON")


@pytest.mark.parametrize("body", [[], "a string", 3, None])
def test_json_that_is_not_an_object_is_refused_with_422(http: TestClient, body: Any) -> None:
    response = curl_data(http, "POST", "/v2/bookings", body)
    assert response.status_code == 422
    assert response.json() == {"errors": {"body": ["must be a JSON object"]}}


def test_contract_errors_keep_their_shape_and_status(http: TestClient) -> None:
    invalid = curl_data(http, "POST", "/v2/bookings", {**class_body(), "settings": {}})
    assert invalid.status_code == 422
    assert invalid.json() == {"errors": {"settings.max_seats": ["Field required"]}}

    missing = http.get(f"/v2/bookings/{uuid.uuid4()}")
    assert missing.status_code == 404 and set(missing.json()) == {"error"}

    class_id = curl_data(http, "POST", "/v2/bookings", class_body(max_seats=1)).json()["data"]["id"]
    assert curl_data(http, "POST", "/v2/bookings", seat_body(class_id)).status_code == 201
    full = curl_data(http, "POST", "/v2/bookings", seat_body(class_id, name="Biff Tannen"))
    assert full.status_code == 409 and set(full.json()) == {"error"}


def test_a_control_character_in_a_name_or_title_is_refused_with_422_and_books_nothing(
    http: TestClient,
) -> None:
    class_id = curl_data(http, "POST", "/v2/bookings", class_body(max_seats=3)).json()["data"]["id"]
    injected = seat_body(class_id)
    injected["customer"]["name"] = "Marty\r\nBcc: evil@example.com"
    titled = class_body()
    titled["event"]["what"] = "Yoga\u2028Class"

    refused_seat = curl_data(http, "POST", "/v2/bookings", injected)
    refused_class = curl_data(http, "POST", "/v2/bookings", titled)

    one_line = ["must not contain control characters or line breaks"]
    assert refused_seat.status_code == 422
    assert refused_seat.json() == {"errors": {"customer.name": one_line}}
    assert refused_class.status_code == 422
    assert refused_class.json() == {"errors": {"event.what": one_line}}
    klass = http.get(f"/v2/bookings/{class_id}", params={"include": "attributes"}).json()
    assert klass["data"]["attributes"]["group_booking"]["current_seats"] == 0


def test_query_and_path_errors_use_the_errors_shape(http: TestClient) -> None:
    bad_window = http.get("/v2/bookings/groups", params={"start": "yesterday"})
    assert bad_window.status_code == 422 and "start" in bad_window.json()["errors"]

    bad_action = curl_data(http, "PUT", f"/v2/bookings/{uuid.uuid4()}/explode", {})
    assert bad_action.status_code == 422 and "action" in bad_action.json()["errors"]

    bad_include = http.get(f"/v2/bookings/{uuid.uuid4()}", params={"include": "secrets"})
    assert bad_include.status_code == 422 and bad_include.json()["errors"]

    wrong_key = curl_data(
        http, "PUT", f"/v2/bookings/{uuid.uuid4()}/cancel", {"complete": {"message": "x"}}
    )
    assert wrong_key.status_code == 422 and "complete" in wrong_key.json()["errors"]


def test_an_empty_action_is_not_found_rather_than_redirected(http: TestClient) -> None:
    # Found by the bad-input drill: Starlette answered 307 to a path that takes no PUT.
    response = curl_data(http, "PUT", f"/v2/bookings/{uuid.uuid4()}/", {})
    assert response.status_code == 404 and "error" in response.json()


def test_an_action_without_a_body_applies_without_a_message(http: TestClient) -> None:
    class_id = curl_data(http, "POST", "/v2/bookings", class_body()).json()["data"]["id"]
    response = http.put(f"/v2/bookings/{class_id}/cancel")
    assert response.status_code == 200, response.text
    assert response.json()["data"]["state"] == "cancelled"


def test_the_openapi_document_lists_every_endpoint(http: TestClient) -> None:
    del http.headers["Authorization"]  # the document itself is public
    document = http.get("/v2/openapi.json")
    assert document.status_code == 200
    paths = document.json()["paths"]
    assert set(paths) == {
        "/v2/bookings",
        "/v2/bookings/groups",
        "/v2/bookings/groups/{booking_id}",
        "/v2/bookings/bulk",
        "/v2/bookings/recurring",
        "/v2/bookings/series/{series_id}/cancel",
        "/v2/bookings/{booking_id}",
        "/v2/bookings/{booking_id}/{action}",
        "/v2/bookings/{booking_id}/roster.csv",
        "/v2/calendars/{calendar_id}/feed_tokens",
        "/v2/customers/feed_tokens",
        "/v2/feed_tokens/{token_id}",
        "/v2/jobs/{job_id}",
    }
    create = paths["/v2/bookings"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/BookingBody"
    }
    assert {"201", "202", "401", "422"} <= set(create["responses"])
    schemas = document.json()["components"]["schemas"]
    assert "GroupOwnerBooking" in schemas and "GroupCustomerBooking" in schemas
