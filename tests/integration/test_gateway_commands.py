"""Bulk, recurring and series commands through the HTTP gateway, against a real worker."""

from __future__ import annotations

import base64
import json
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

KEY = "live_api_key_commands"


@pytest.fixture
def http(deployment: Deployment) -> Iterator[TestClient]:
    settings = GatewaySettings(redis_url=deployment.redis_url, api_keys=SecretStr(KEY), wait_s=30)
    with (
        deployment.client(subscribe_on_submit=False) as booking_client,
        TestClient(create_app(settings, booking_client)) as test_client,
    ):
        auth = base64.b64encode(f":{KEY}".encode()).decode()
        test_client.headers["Authorization"] = f"Basic {auth}"
        test_client.headers["Content-Type"] = "application/x-www-form-urlencoded"
        yield test_client


def send(http: TestClient, method: str, path: str, body: Any) -> httpx.Response:
    return http.request(method, path, content=json.dumps(body))


def test_bulk_creates_classes_and_seats_together(http: TestClient) -> None:
    class_id = send(http, "POST", "/v2/bookings", class_body()).json()["data"]["id"]
    response = send(
        http,
        "POST",
        "/v2/bookings/bulk",
        {"bookings": [class_body(), seat_body(class_id, seats=2)]},
    )
    assert response.status_code == 200, response.text
    graphs = [item["data"]["graph"] for item in response.json()["data"]]
    assert graphs == ["group_owner", "group_customer"]


def test_bulk_all_or_nothing_names_the_invalid_item(http: TestClient) -> None:
    response = send(
        http, "POST", "/v2/bookings/bulk", {"bookings": [class_body(), {"graph": "group_owner"}]}
    )
    assert response.status_code == 422
    assert any(field.startswith("items.1.") for field in response.json()["errors"])


def test_bulk_without_all_or_nothing_reports_each_outcome(http: TestClient) -> None:
    response = send(
        http,
        "POST",
        "/v2/bookings/bulk",
        {"bookings": [class_body(), {"graph": "group_owner"}], "all_or_nothing": False},
    )
    assert response.status_code == 200, response.text
    first, second = response.json()["data"]
    assert "data" in first and second["status"] == 422


def test_bulk_needs_a_list_of_bookings(http: TestClient) -> None:
    response = send(http, "POST", "/v2/bookings/bulk", {"bookings": []})
    assert response.status_code == 422 and "bookings" in response.json()["errors"]


def test_a_series_is_created_listed_and_cancelled_from_a_date(http: TestClient) -> None:
    first = in_days(3)
    body = {
        **class_body(first),
        "recurrence": {"rrule": "FREQ=WEEKLY;COUNT=4", "timezone": "UTC"},
    }
    created = send(http, "POST", "/v2/bookings/recurring", body)
    assert created.status_code == 201, created.text
    series_id = created.json()["data"]["series_id"]
    classes = created.json()["data"]["bookings"]
    assert len(classes) == 4

    listed = http.get("/v2/bookings/groups", params={"series_id": series_id})
    assert len(listed.json()["data"]) == 4

    from_ = classes[2]["attributes"]["event_info"]["start"]
    message = {"cancel": {"message": "Studio closed", "from": from_}}
    cancelled = send(http, "PUT", f"/v2/bookings/series/{series_id}/cancel", message)
    assert cancelled.status_code == 200, cancelled.text
    still_open = http.get("/v2/bookings/groups", params={"series_id": series_id}).json()["data"]
    assert [booking["id"] for booking in still_open] == [c["id"] for c in classes[:2]]


def test_a_recurring_body_without_a_rule_is_refused(http: TestClient) -> None:
    response = send(http, "POST", "/v2/bookings/recurring", {**class_body(), "recurrence": {}})
    assert response.status_code == 422 and response.json()["errors"]


def test_delete_removes_a_cancelled_class_with_its_seats_and_a_replay_answers_the_same(
    http: TestClient,
) -> None:
    klass = send(http, "POST", "/v2/bookings", class_body(in_days(48))).json()["data"]
    seat = send(http, "POST", "/v2/bookings", seat_body(klass["id"])).json()["data"]
    assert send(http, "PUT", f"/v2/bookings/{klass['id']}/cancel", {}).status_code == 200
    keyed = {"Idempotency-Key": f"delete-{klass['id']}"}

    deleted = http.delete(f"/v2/bookings/{klass['id']}", headers=keyed)
    replayed = http.delete(f"/v2/bookings/{klass['id']}", headers=keyed)

    assert deleted.status_code == 200
    assert deleted.json()["data"]["deleted_booking_ids"] == [seat["id"], klass["id"]]
    assert (replayed.status_code, replayed.json()) == (200, deleted.json())
    for booking_id in (klass["id"], seat["id"]):
        assert http.get(f"/v2/bookings/{booking_id}").status_code == 404
    assert http.delete(f"/v2/bookings/{klass['id']}").status_code == 404


def test_delete_refuses_a_booking_not_final_with_409_and_an_unknown_id_with_404(
    http: TestClient,
) -> None:
    klass = send(http, "POST", "/v2/bookings", class_body(in_days(49))).json()["data"]
    seat = send(http, "POST", "/v2/bookings", seat_body(klass["id"])).json()["data"]

    for booking_id in (klass["id"], seat["id"]):
        refused = http.delete(f"/v2/bookings/{booking_id}")
        assert refused.status_code == 409
        assert "not final" in refused.json()["error"]
    assert http.delete("/v2/bookings/5b9ad3a4-7a4c-4b51-8a34-0d3e1d4a1c55").status_code == 404
    assert http.get(f"/v2/bookings/{seat['id']}").json()["data"]["state"] == "confirmed"


def test_the_openapi_document_describes_delete(http: TestClient) -> None:
    operation = http.get("/v2/openapi.json").json()["paths"]["/v2/bookings/{booking_id}"]["delete"]

    assert {"200", "202", "403", "404", "409"} <= set(operation["responses"])
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/DeletedResponse"}
