"""Running a class through real workers: check-in, late cancels, attendance and the roster, by
the client, the gateway and the `bookings` command.

The workers run on the real clock (freezegun cannot reach them), so each edge is kept minutes
away from `now`; the exact edges are proven at the handler level
(test_attendance_at_handler_level.py). No-shows at completion, told by webhook and e-mail, are
in test_notifications.py, whose workers deliver to real receivers.
"""

from __future__ import annotations

import base64
import csv
import io
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api_client import BookingClient, ConflictError
from gateway.app import create_app
from gateway.settings import GatewaySettings
from harness.bodies import class_body, seat_body
from harness.waiting import eventually
from harness.workers import Deployment

pytestmark = pytest.mark.integration

API_KEY = "live_api_key_running_a_class"
WIDGET_KEY = "widget_key_running_a_class_7Qx"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
OWNER = {"name": "Doc Brown", "email": "doc@brown.example"}


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f":{key}".encode()).decode()}


@pytest.fixture
def http(deployment: Deployment) -> Iterator[TestClient]:
    """The gateway, over a client of its own (as the other gateway tests have)."""
    settings = GatewaySettings(
        redis_url=deployment.redis_url,
        api_keys=SecretStr(API_KEY),
        widget_keys=SecretStr(WIDGET_KEY),
        wait_s=30,
    )
    with (
        deployment.client(subscribe_on_submit=False) as gateway_client,
        TestClient(create_app(settings, gateway_client)) as test_client,
    ):
        yield test_client


def a_class(
    client: BookingClient, start: datetime, length: timedelta = timedelta(hours=1), **settings: Any
) -> str:
    body = class_body(start, max_seats=2, length=length, min_cancel_time="1 day", **settings)
    body["owner"] = OWNER
    return str(client.create_booking(body)["data"]["id"])


def book(client: BookingClient, class_id: str, name: str, **options: Any) -> str:
    body = seat_body(class_id, 1, "Customer", **options)
    body["customer"] = {"name": name, "email": f"{uuid.uuid4().hex[:8]}@mcfly.example"}
    return str(client.create_booking(body)["data"]["id"])


def delivered(client: BookingClient, booking_id: str, kind: str) -> list[dict[str, Any]]:
    rows = client.get_booking(booking_id, include=["notifications"])["data"]["notifications"]
    return [row for row in rows if row["type"] == kind and row["state"] == "delivered"]


def soon(**delta: float) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(**delta)


def test_check_in_is_refused_before_its_window_and_answered_once_inside_it(
    client: BookingClient,
) -> None:
    # Given a class starting in 90 minutes and one starting in 30 (the window opens 1 hour ahead)
    later = a_class(client, soon(minutes=90), track_attendance=True)
    sooner = a_class(client, soon(minutes=30), track_attendance=True)
    early, marty = book(client, later, "Early"), book(client, sooner, "Marty")

    # When each is checked in, Marty twice under two keys
    with pytest.raises(ConflictError, match="check-in opens at"):
        client.check_in(early)
    first = client.check_in(marty)["data"]
    again = client.check_in(marty)["data"]

    # Then only Marty's is checked in, once, and the second answer is the first
    assert client.get_booking(early)["data"]["state"] == "confirmed"
    assert first["state"] == "checked_in" and again == first
    logs = client.get_booking(marty, include=["logs"])["data"]["logs"]
    assert [entry["action"] for entry in logs] == ["create", "check_in"]


def test_a_late_cancel_is_refused_or_frees_the_seat_for_the_waitlist_by_policy(
    client: BookingClient,
) -> None:
    # Given two classes inside their "1 day" min_cancel_time, one allowing late cancels
    start = soon(hours=3)
    refusing = a_class(client, start)
    allowing = a_class(client, start, late_cancel="allow", waitlist_size=2)
    held = book(client, refusing, "Held")
    leaving = book(client, allowing, "Leaving")
    book(client, allowing, "Staying")
    waiting = book(client, allowing, "Waiting", waitlist=True)

    # When their customers cancel
    with pytest.raises(ConflictError, match="customers may cancel until"):
        client.cancel_by_customer(held)
    late = client.cancel_by_customer(leaving)["data"]

    # Then the refused one holds its seat; the late one frees it for the waiting customer,
    # and the owner is told of the late cancel
    assert client.get_booking(held)["data"]["state"] == "confirmed"
    assert late["state"] == "late_cancelled"
    assert client.get_booking(waiting)["data"]["state"] == "confirmed"
    told = eventually(lambda: delivered(client, leaving, "booking.late_cancelled"))
    assert told[0]["recipient"]["email"] == OWNER["email"]


def test_the_gateway_checks_in_shows_attendance_and_serves_the_roster_to_the_owner_only(
    http: TestClient, client: BookingClient
) -> None:
    class_id = a_class(client, soon(minutes=20), track_attendance=True)
    marty = book(client, class_id, "Marty McFly")
    book(client, class_id, 'Zoë, "the" Ünicode')

    checked = http.put(f"/v2/bookings/{marty}/check_in", headers=basic(API_KEY))
    again = http.put(
        f"/v2/bookings/{marty}/check_in",
        headers={**basic(API_KEY), "Idempotency-Key": str(uuid.uuid4())},
    )
    attendance = http.get(f"/v2/bookings/{class_id}?include=attendance", headers=basic(API_KEY))
    policy = http.get(f"/v2/bookings/{marty}?include=cancel_policy", headers=basic(API_KEY))
    roster = http.get(f"/v2/bookings/{class_id}/roster.csv", headers=basic(API_KEY))
    widget = http.get(f"/v2/bookings/{class_id}/roster.csv", headers=basic(WIDGET_KEY))

    assert checked.status_code == again.status_code == 200, checked.text
    assert checked.json() == again.json()
    counts = attendance.json()["data"]["attendance"]
    assert (counts["booked"], counts["checked_in"], counts["no_show"]) == (2, 1, 0)
    assert policy.json()["data"]["cancel_policy"]["cancel_now"] == "refused"
    assert roster.status_code == 200 and roster.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(roster.content.decode("utf-8"))))
    assert rows[0] == ["name", "email", "seats", "state", "booked_at", "checked_in_at"]
    assert [(row[0], row[3]) for row in rows[1:]] == [
        ("Marty McFly", "checked_in"),
        ('Zoë, "the" Ünicode', "confirmed"),
    ]
    assert rows[1][5] and rows[2][5] == ""
    assert widget.status_code == 403 and "Marty" not in widget.text


def test_the_gateway_refuses_a_check_in_that_does_not_apply_in_timekit_s_shape(
    http: TestClient, client: BookingClient
) -> None:
    untracked = book(client, a_class(client, soon(minutes=20)), "Untracked")

    refused = http.put(f"/v2/bookings/{untracked}/check_in", headers=basic(API_KEY))
    unknown = http.put(f"/v2/bookings/{uuid.uuid4()}/check_in", headers=basic(API_KEY))
    no_class = http.get(f"/v2/bookings/{untracked}/roster.csv", headers=basic(API_KEY))

    assert refused.status_code == 409
    assert refused.json() == {
        "error": "this class does not track attendance (settings.track_attendance is false)"
    }
    assert unknown.status_code == 404 and "error" in unknown.json()
    assert no_class.status_code == 404 and "error" in no_class.json()
    assert client.get_booking(untracked)["data"]["state"] == "confirmed"


def test_the_bookings_command_checks_in_and_prints_the_roster_as_csv(
    deployment: Deployment, client: BookingClient
) -> None:
    class_id = a_class(client, soon(minutes=20), track_attendance=True)
    marty = book(client, class_id, "Marty, Jr.")

    checked = bookings(deployment, "check-in", marty)
    roster = bookings(deployment, "roster", class_id, "--csv")

    assert checked.returncode == 0, checked.stderr
    assert "checked_in" in checked.stdout
    assert roster.returncode == 0, roster.stderr
    [header, line] = list(csv.reader(io.StringIO(roster.stdout)))
    assert header[0] == "name" and line[:4] == ["Marty, Jr.", line[1], "1", "checked_in"]


def bookings(deployment: Deployment, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BOOKINGS_REDIS_URL": deployment.redis_url}
    return subprocess.run(
        [sys.executable, "-m", "api_client.cli", "--timeout", "60", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )
