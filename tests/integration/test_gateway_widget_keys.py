"""Public widget keys and CORS: what booking.js on a website may reach, and how it is answered."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api_client import BookingClient, PendingResult
from gateway.app import create_app
from gateway.settings import GatewaySettings
from gateway.widget import MEMORY_PREFIX, RetryKeys, derived_key
from harness.bodies import class_body, seat_body
from harness.gateways import running_gateway
from harness.redis_databases import redis_url
from harness.redis_servers import RedisServer, own_redis
from harness.workers import Deployment
from tests.support.pausing import workers_paused

pytestmark = pytest.mark.integration

API_KEY = "live_api_key_widget_tests_owner"
WIDGET_KEY = "widget_key_3vQpL0aXrT9studio"
ORIGIN = "https://studio.example"
# The operations of the OpenAPI document a widget key may use; every other one is 403.
WIDGET_OPERATIONS = {
    ("get", "/v2/bookings/groups"),
    ("get", "/v2/bookings/groups/{booking_id}"),
    ("post", "/v2/bookings"),
}
SDK_HEADERS = [
    "authorization",
    "content-type",
    "timekit-timezone",
    "timekit-context",
    "timekit-app",
    "idempotency-key",
]


def basic(key: str) -> str:
    return "Basic " + base64.b64encode(f":{key}".encode()).decode()


def settings(url: str, widget_wait_s: float = 30, origins: str = ORIGIN) -> GatewaySettings:
    return GatewaySettings(
        redis_url=url,
        api_keys=SecretStr(API_KEY),
        widget_keys=SecretStr(WIDGET_KEY),
        wait_s=30,
        widget_wait_s=widget_wait_s,
        cors_origins=origins,
    )


class NothingSentError(AssertionError):
    """A request the gateway should have refused reached the queue."""


class RefusingClient(BookingClient):
    """The real client, which fails the test if it sends anything."""

    def _send(
        self, task_name: str, kwargs: dict[str, Any], idempotency_key: str | None = None
    ) -> PendingResult:
        raise NothingSentError(f"{task_name} was enqueued with {kwargs}")


def gateway(url: str, client: BookingClient, **options: Any) -> TestClient:
    return TestClient(create_app(settings(url, **options), client), raise_server_exceptions=True)


@pytest.fixture
def unserved() -> Iterator[TestClient]:
    """A gateway whose client fails the test if it sends: every answer here is the gateway's."""
    url = redis_url("deployment-postgresql")
    with (
        RefusingClient(url, subscribe_on_submit=False) as booking_client,
        gateway(url, booking_client) as http,
    ):
        yield http


@pytest.fixture
def booking_client(deployment: Deployment) -> Iterator[BookingClient]:
    with deployment.client(subscribe_on_submit=False) as client:
        yield client


@pytest.fixture
def served(deployment: Deployment, booking_client: BookingClient) -> Iterator[TestClient]:
    with gateway(deployment.redis_url, booking_client) as http:
        yield http


@pytest.fixture
def hasty(deployment: Deployment, booking_client: BookingClient) -> Iterator[TestClient]:
    """A gateway whose widget bookings wait only half a second for the worker."""
    with gateway(deployment.redis_url, booking_client, widget_wait_s=0.5) as http:
        yield http


def send(
    http: TestClient, method: str, path: str, key: str, body: Any = None, **headers: str
) -> httpx.Response:
    content = None if body is None else json.dumps(body)
    return http.request(
        method, path, content=content, headers={"Authorization": basic(key), **headers}
    )


def operations(http: TestClient) -> list[tuple[str, str, str]]:
    """(method, path in the document, concrete path) for every operation the document lists,
    one per value of an enumerated path parameter (each action)."""
    found = []
    for template, methods in http.app.openapi()["paths"].items():  # type: ignore[attr-defined]
        for method, operation in methods.items():
            paths = [template]
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "path":
                    continue
                name = "{" + parameter["name"] + "}"
                values = parameter["schema"].get("enum") or [str(uuid.uuid4())]
                paths = [path.replace(name, str(value)) for path in paths for value in values]
            found.extend((method, template, path) for path in paths)
    return found


def test_a_widget_key_is_refused_on_every_operation_but_listing_and_booking_seats(
    unserved: TestClient,
) -> None:
    table = operations(unserved)
    assert {(method, template) for method, template, _ in table} >= WIDGET_OPERATIONS
    refused = [row for row in table if (row[0], row[1]) not in WIDGET_OPERATIONS]
    assert len(refused) >= 14  # 7 operations, the action one once per action
    assert ("delete", "/v2/bookings/{booking_id}") in {(row[0], row[1]) for row in refused}

    # The same body everywhere: a refusal must not depend on what the body holds.
    body = {"bookings": [class_body()]}
    answers = {}
    for method, _, path in refused:
        response = send(unserved, method, path, WIDGET_KEY, body)
        answers[method, path] = (response.status_code, response.json())

    refusal = {
        "error": "a widget key may only list open classes and book seats (graph group_customer)"
    }
    assert answers == {(method, path): (403, refusal) for method, _, path in refused}


@pytest.mark.parametrize(
    "body",
    [class_body(), {"graph": "group_owner"}, {"bookings": [class_body()]}, {}],
    ids=["class", "bare-class", "bulk-shaped", "no-graph"],
)
def test_a_widget_key_may_not_create_anything_but_seats(
    unserved: TestClient, body: dict[str, Any]
) -> None:
    response = send(unserved, "POST", "/v2/bookings", WIDGET_KEY, body)

    assert response.status_code == 403
    assert response.json() == {"error": "a widget key may only book seats (graph group_customer)"}


def test_an_api_key_is_not_limited_by_the_widget_rules(unserved: TestClient) -> None:
    # Refused for its body by the contract (422), not for its key: nothing is sent either way.
    response = send(unserved, "POST", "/v2/bookings/bulk", API_KEY, {"bookings": [{}]})
    assert response.status_code == 422, response.text


def test_a_wrong_key_is_still_401_before_any_widget_rule(unserved: TestClient) -> None:
    response = send(unserved, "PUT", f"/v2/bookings/{uuid.uuid4()}/cancel", "not_a_key", {})
    assert response.status_code == 401


# Customers' action links (gateway/action_links.py) take no key at all: the signature is the
# credential. They are pages for people, outside the OpenAPI document and so outside the table
# above.
KEYLESS_PATHS = {"/v2/bookings/{booking_id}/external_action/{action}"}


def test_the_action_link_pages_need_no_key_and_a_key_opens_nothing_there(
    unserved: TestClient,
) -> None:
    assert KEYLESS_PATHS.isdisjoint(unserved.app.openapi()["paths"])  # type: ignore[attr-defined]
    path = f"/v2/bookings/{uuid.uuid4()}/external_action/cancel_by_customer?signature=forged"
    keys = [{}, {"Authorization": basic(WIDGET_KEY)}, {"Authorization": basic(API_KEY)}]

    # Whatever key comes with it, a link that is not signed is refused alike, and nothing sent
    for headers in keys:
        for method in ("GET", "POST"):
            response = unserved.request(method, path, headers=headers)
            assert response.status_code == 403, (method, headers)
            assert "not valid" in response.text


def test_a_widget_lists_open_classes_without_customers_and_books_a_seat(
    served: TestClient,
) -> None:
    # Given a class with one customer booked by the studio
    class_id = send(served, "POST", "/v2/bookings", API_KEY, class_body()).json()["data"]["id"]
    marty = send(served, "POST", "/v2/bookings", API_KEY, seat_body(class_id))
    assert marty.status_code == 201, marty.text

    # When the widget lists the classes and books one for Biff
    listed = send(served, "GET", "/v2/bookings/groups", WIDGET_KEY)
    booked = send(
        served, "POST", "/v2/bookings", WIDGET_KEY, seat_body(class_id, name="Biff Tannen")
    )

    # Then the list shows the class and nobody in it, and the answer only Biff's own booking
    assert listed.status_code == 200, listed.text
    assert class_id in {group["id"] for group in listed.json()["data"]}
    assert "mcfly.example" not in listed.text and "customer" not in listed.text
    assert booked.status_code == 201, booked.text
    data = booked.json()["data"]
    assert data["attributes"]["customer"] == {
        "name": "Biff Tannen",
        "email": "biff.tannen@mcfly.example",
    }
    assert "marty" not in booked.text.lower()
    assert [other["id"] for other in data["related_bookings"]] == [class_id]
    assert all("customer" not in other for other in data["related_bookings"])
    shown = send(served, "GET", f"/v2/bookings/{class_id}?include=attributes", API_KEY)
    assert shown.json()["data"]["attributes"]["group_booking"]["current_seats"] == 2


def test_a_widget_booking_refused_by_the_worker_keeps_its_status(served: TestClient) -> None:
    class_id = send(served, "POST", "/v2/bookings", API_KEY, class_body(max_seats=1))
    full = class_id.json()["data"]["id"]
    assert send(served, "POST", "/v2/bookings", API_KEY, seat_body(full)).status_code == 201

    response = send(served, "POST", "/v2/bookings", WIDGET_KEY, seat_body(full, name="Biff"))

    assert response.status_code == 409 and set(response.json()) == {"error"}


@pytest.mark.parametrize("idempotency_key", [None, "booking-js-attempt"], ids=["derived", "header"])
def test_an_unanswered_widget_booking_is_503_and_its_retry_books_once(
    deployment: Deployment,
    hasty: TestClient,
    served: TestClient,
    idempotency_key: str | None,
) -> None:
    class_id = send(served, "POST", "/v2/bookings", API_KEY, class_body()).json()["data"]["id"]
    body = seat_body(class_id, name=f"Lorraine {uuid.uuid4().hex[:8]}")
    headers = (
        {} if idempotency_key is None else {"Idempotency-Key": f"{idempotency_key}-{uuid.uuid4()}"}
    )

    # Given no worker answers within the widget's wait
    with workers_paused(deployment):
        first = send(hasty, "POST", "/v2/bookings", WIDGET_KEY, body, **headers)

    # Then the widget is told to retry rather than told it booked (booking.js: 2xx = booked)
    assert first.status_code == 503, first.text
    assert first.headers["Retry-After"] == "5"
    assert set(first.json()) == {"error"}

    # When it retries with the same body, through another gateway process, twice
    retried = send(served, "POST", "/v2/bookings", WIDGET_KEY, body, **headers)
    again = send(served, "POST", "/v2/bookings", WIDGET_KEY, body, **headers)

    # Then both answer the one booking the first attempt made
    assert retried.status_code == again.status_code == 201, retried.text
    assert retried.json()["data"]["id"] == again.json()["data"]["id"]
    shown = send(served, "GET", f"/v2/bookings/{class_id}?include=related_bookings", API_KEY)
    seats = [other for other in shown.json()["data"]["related_bookings"] if other.get("customer")]
    assert [seat["customer"]["name"] for seat in seats] == [body["customer"]["name"]]


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    with own_redis(tmp_path / "redis") as server:
        yield server


def test_a_retry_across_a_minute_boundary_finds_the_first_derived_key(
    redis_server: RedisServer,
) -> None:
    body = seat_body(str(uuid.uuid4()))

    async def keys() -> tuple[str, str, str]:
        memory = RetryKeys(redis_server.url(0))
        try:
            first = await memory.key_for(body, now_s=119.5)  # the last second of a minute
            retry = await memory.key_for(body, now_s=121.0)  # the first of the next one
            # Once the memory has lapsed (60 s after the last attempt), it is a new booking.
            for name in await memory._redis.keys(f"{MEMORY_PREFIX}*"):
                await memory._redis.delete(name)
            later = await memory.key_for(body, now_s=185.0)
            return first, retry, later
        finally:
            await memory.close()

    first, retry, later = asyncio.run(keys())

    assert first == retry == derived_key(body, 119.5)
    assert later == derived_key(body, 185.0) != first


def test_a_preflight_from_a_listed_origin_allows_what_the_widget_and_sdk_send(
    unserved: TestClient,
) -> None:
    response = unserved.options(
        "/v2/bookings",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": ", ".join(SDK_HEADERS),
        },
    )

    assert response.status_code == 200, response.text
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert {"GET", "POST", "PUT", "DELETE"} <= set(
        response.headers["Access-Control-Allow-Methods"].split(", ")
    )
    allowed = response.headers["Access-Control-Allow-Headers"].lower().split(", ")
    assert set(SDK_HEADERS) <= set(allowed)


@pytest.mark.parametrize("origin", ["https://elsewhere.example", "http://studio.example"])
def test_a_preflight_from_another_origin_gets_no_cors_headers(
    unserved: TestClient, origin: str
) -> None:
    response = unserved.options(
        "/v2/bookings",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )

    assert response.status_code == 403
    assert not [name for name in response.headers if name.lower().startswith("access-control")]


def test_with_no_origins_set_every_preflight_is_refused_not_405() -> None:
    url = redis_url("deployment-postgresql")
    with (
        RefusingClient(url, subscribe_on_submit=False) as booking_client,
        gateway(url, booking_client, origins="") as http,
    ):
        response = http.options(
            "/v2/bookings/groups",
            headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"},
        )
    assert response.status_code == 403
    assert not [name for name in response.headers if name.lower().startswith("access-control")]


def test_answers_to_a_listed_origin_carry_its_cors_headers_and_others_none(
    unserved: TestClient,
) -> None:
    path = f"/v2/jobs/{uuid.uuid4()}"  # a 403 for a widget key, answered without a worker

    listed = send(unserved, "GET", path, WIDGET_KEY, Origin=ORIGIN)
    other = send(unserved, "GET", path, WIDGET_KEY, Origin="https://elsewhere.example")

    assert listed.status_code == other.status_code == 403
    assert listed.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Retry-After" in listed.headers["Access-Control-Expose-Headers"]
    assert not [name for name in other.headers if name.lower().startswith("access-control")]


def test_no_key_is_ever_written_to_the_gateways_log(tmp_path: Path) -> None:
    # A real uvicorn at debug level, on a database no worker serves: every request below is
    # answered by the gateway alone (401, 403, 422).
    wrong = "live_api_key_not_accepted_Zx81"
    environment = {
        "BOOKINGS_WIDGET_KEYS": WIDGET_KEY,
        "BOOKINGS_CORS_ORIGINS": ORIGIN,
        "BOOKINGS_WIDGET_WAIT_S": "0",
    }
    url = redis_url("deployment-postgresql")
    with running_gateway(url, API_KEY, tmp_path, environment, log_level="debug") as server:
        with httpx.Client(base_url=server.base_url, timeout=10) as http:
            for key in (WIDGET_KEY, API_KEY, wrong):
                auth = {"Authorization": basic(key), "Origin": ORIGIN}
                http.get(f"/v2/jobs/{uuid.uuid4()}", headers=auth)
                http.put(f"/v2/bookings/{uuid.uuid4()}/explode", headers=auth, content="{")
                http.post("/v2/bookings", headers=auth, content=json.dumps({"graph": "x"}))
                http.post("/v2/bookings", headers=auth, content="{")
            http.get("/v2/bookings/groups", headers={"Authorization": f"Bearer {WIDGET_KEY}"})
            http.get("/v2/bookings/groups", headers={"Authorization": f"Basic {WIDGET_KEY}"})
        log = server.log_path.read_text()

    assert "GET /v2/jobs/" in log  # the log is written at all
    for secret in (WIDGET_KEY, API_KEY, wrong):
        assert secret not in log
        assert base64.b64encode(f":{secret}".encode()).decode() not in log


def test_a_widget_reads_one_open_class_and_searches_by_project(served: TestClient) -> None:
    body = {**class_body(), "project_id": f"proj-{uuid.uuid4().hex[:8]}", "resource_id": "room-w"}
    class_id = send(served, "POST", "/v2/bookings", API_KEY, body).json()["data"]["id"]
    seat = send(served, "POST", "/v2/bookings", API_KEY, seat_body(class_id)).json()["data"]

    one = send(served, "GET", f"/v2/bookings/groups/{class_id}", WIDGET_KEY)
    found = send(
        served, "GET", f"/v2/bookings/groups?search=project.id:{body['project_id']}", WIDGET_KEY
    )
    a_seat = send(served, "GET", f"/v2/bookings/groups/{seat['id']}", WIDGET_KEY)
    bad = send(served, "GET", "/v2/bookings/groups?search=customer.email:x", WIDGET_KEY)

    assert one.status_code == 200, one.text
    assert one.json()["data"]["resource"] == {"id": "room-w", "name": "replace-with-id"}
    assert "customer" not in one.text and "mcfly" not in one.text
    assert [group["id"] for group in found.json()["data"]] == [class_id]
    assert a_seat.status_code == 404
    assert bad.status_code == 422 and list(bad.json()["errors"]) == ["search"]
