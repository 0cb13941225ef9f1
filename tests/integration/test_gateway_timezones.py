"""The Timekit-Timezone header through the gateway and a real worker: every answer in its zone."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from gateway.app import create_app
from gateway.settings import GatewaySettings
from harness.bodies import class_body, in_days, seat_body
from harness.workers import Deployment

pytestmark = pytest.mark.integration

KEY = "live_api_key_timezones_owner"
WIDGET_KEY = "widget_key_timezones_studio"
NEW_YORK = ZoneInfo("America/New_York")
IN_NEW_YORK = {"Timekit-Timezone": "America/New_York"}


def basic(key: str) -> str:
    return "Basic " + base64.b64encode(f":{key}".encode()).decode()


@pytest.fixture
def http(deployment: Deployment) -> Iterator[TestClient]:
    settings = GatewaySettings(
        redis_url=deployment.redis_url,
        api_keys=SecretStr(KEY),
        widget_keys=SecretStr(WIDGET_KEY),
        wait_s=30,
    )
    with (
        deployment.client(subscribe_on_submit=False) as booking_client,
        TestClient(create_app(settings, booking_client)) as test_client,
    ):
        test_client.headers["Authorization"] = basic(KEY)
        yield test_client


def nine_in_new_york(days: int) -> datetime:
    """09:00 New York time on a day `days` from now, as a UTC instant."""
    day = in_days(days).astimezone(NEW_YORK).date()
    return datetime(day.year, day.month, day.day, 9, tzinfo=NEW_YORK).astimezone(UTC)


def test_the_public_list_shows_a_new_york_class_at_its_new_york_clock_time(
    http: TestClient,
) -> None:
    # Given a class at 09:00 New York time, created with its start in UTC
    start = nine_in_new_york(720)
    created = http.post("/v2/bookings", json=class_body(start))
    assert created.status_code == 201, created.text
    window = {"start": start.isoformat(), "end": (start + timedelta(minutes=1)).isoformat()}

    # When a widget in New York lists it
    listed = http.get(
        "/v2/bookings/groups",
        params=window,
        headers={**IN_NEW_YORK, "Authorization": basic(WIDGET_KEY)},
    )

    # Then it reads 09:00 with New York's offset: the same instant
    assert listed.status_code == 200, listed.text
    [shown] = listed.json()["data"]
    event = shown["attributes"]["event_info"]
    assert event["start"].startswith(start.astimezone(NEW_YORK).date().isoformat() + "T09:00:00-0")
    assert datetime.fromisoformat(event["start"]) == start
    assert datetime.fromisoformat(event["end"]) == start + timedelta(hours=1)
    now_offset = datetime.now(UTC).astimezone(NEW_YORK).utcoffset()
    assert datetime.fromisoformat(shown["created_at"]).utcoffset() == now_offset
    # Without the header the same list answers in UTC
    plain = http.get("/v2/bookings/groups", params=window).json()["data"][0]
    assert plain["attributes"]["event_info"]["start"] == start.isoformat()


def test_commands_and_reads_with_includes_answer_in_the_zone(http: TestClient) -> None:
    start = nine_in_new_york(721)
    klass = http.post("/v2/bookings", json=class_body(start), headers=IN_NEW_YORK)
    assert klass.status_code == 201, klass.text
    class_id = klass.json()["data"]["id"]
    seat = http.post("/v2/bookings", json=seat_body(class_id), headers=IN_NEW_YORK)
    assert seat.status_code == 201, seat.text

    shown = http.get(
        f"/v2/bookings/{class_id}",
        params={"include": "attributes,related_bookings,logs"},
        headers=IN_NEW_YORK,
    ).json()["data"]

    now_offset = datetime.now(UTC).astimezone(NEW_YORK).utcoffset()
    stamps = [
        klass.json()["data"]["created_at"],
        seat.json()["data"]["created_at"],
        seat.json()["data"]["attributes"]["event_info"]["start"],
        shown["created_at"],
        shown["updated_at"],
        shown["attributes"]["event_info"]["start"],
        *(other["created_at"] for other in shown["related_bookings"]),
        *(entry["created_at"] for entry in shown["logs"]),
    ]
    offsets = {datetime.fromisoformat(stamp).utcoffset() for stamp in stamps}
    assert offsets <= {now_offset, start.astimezone(NEW_YORK).utcoffset()}
    assert timedelta(0) not in offsets
    assert shown["attributes"]["event_info"]["start"][11:19] == "09:00:00"


def test_an_unknown_zone_is_422_naming_the_header(http: TestClient) -> None:
    response = http.get("/v2/bookings/groups", headers={"Timekit-Timezone": "Mars/Olympus_Mons"})

    assert response.status_code == 422
    refusal = ["unknown time zone 'Mars/Olympus_Mons'"]
    assert response.json() == {"errors": {"Timekit-Timezone": refusal}}


def test_a_caller_without_a_key_is_401_before_its_zone_is_read(http: TestClient) -> None:
    response = http.get(
        "/v2/bookings/groups", headers={"Timekit-Timezone": "Mars", "Authorization": ""}
    )

    assert response.status_code == 401


def test_the_owners_list_pages_with_absolute_urls_and_is_closed_to_widgets(
    http: TestClient,
) -> None:
    calendar = f"cal-{datetime.now(UTC).timestamp()}"
    for day in range(3):
        body = class_body(in_days(730 + day))
        body["event"]["calendar_id"] = calendar
        assert http.post("/v2/bookings", json=body).status_code == 201

    first = http.get("/v2/bookings", params={"search": f"calendar_id:{calendar}", "limit": 2})
    second = http.get(first.json()["next_page_url"], headers=IN_NEW_YORK)
    widget = http.get("/v2/bookings", headers={"Authorization": basic(WIDGET_KEY)})

    assert first.status_code == 200, first.text
    assert first.json()["next_page_url"].startswith("http://testserver/v2/bookings?")
    assert (first.json()["total"], first.json()["last_page"]) == (3, 2)
    assert len(second.json()["data"]) == 1 and second.json()["current_page"] == 2
    assert second.json()["data"][0]["created_at"][-6:] in ("-05:00", "-04:00")
    assert widget.status_code == 403


def test_a_class_keeps_its_own_zone_and_shows_it_with_its_event(http: TestClient) -> None:
    body = class_body(nine_in_new_york(721))
    body["event"]["timezone"] = "America/New_York"

    created = http.post("/v2/bookings", json=body)

    assert created.status_code == 201, created.text
    assert created.json()["data"]["attributes"]["event_info"]["timezone"] == "America/New_York"


def test_a_class_zone_that_is_not_an_iana_name_is_a_422_that_changes_nothing(
    http: TestClient,
) -> None:
    body = class_body(nine_in_new_york(722))
    body["event"]["timezone"] = "Eastern Time"

    refused = http.post("/v2/bookings", json=body)

    assert refused.status_code == 422
    assert refused.json() == {
        "errors": {"event.timezone": ["is not an IANA time zone, such as Europe/Oslo"]}
    }
    window = {"start": body["event"]["start"], "end": body["event"]["end"]}
    assert http.get("/v2/bookings/groups", params=window).json()["data"] == []
