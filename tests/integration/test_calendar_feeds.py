"""Calendar feeds through a real gateway (uvicorn) and real workers: tokens, changes, ETags;
and, through the runner in-process, that a wrong token costs what a right one does."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import ics
import pytest
from icalendar import Calendar
from sqlalchemy import event as sql_events
from sqlalchemy.engine import Engine

from api_client.contract import tasks
from api_client.feed_tokens import new_token, token_digest
from harness.bodies import class_body, seat_body, series_body
from harness.gateways import running_gateway
from harness.processes import REPO_ROOT
from harness.workers import Deployment
from tests.support.handlers import command, create, now_utc
from worker.handlers import CommandRunner, HandlerDeps

pytestmark = pytest.mark.integration

API_KEY = "live_api_key_calendar_feeds_owner"
WIDGET_KEY = "widget_key_calendar_feeds_site"
NO_FEED = {"error": "no feed for this token"}
EMAIL = "doc.brown@mcfly.example"


def basic(key: str) -> str:
    return "Basic " + base64.b64encode(f":{key}".encode()).decode()


@pytest.fixture(scope="module")
def http(deployment: Deployment, workdir: Path) -> Iterator[httpx.Client]:
    """One gateway process for the module, with the owner's key as default credentials."""
    settings = {"BOOKINGS_WIDGET_KEYS": WIDGET_KEY}
    with (
        running_gateway(deployment.redis_url, API_KEY, workdir, settings) as gateway,
        httpx.Client(
            base_url=gateway.base_url, headers={"Authorization": basic(API_KEY)}, timeout=60
        ) as client,
    ):
        yield client


def in_calendar(body: dict[str, Any], calendar_id: str) -> dict[str, Any]:
    return {**body, "event": {**body["event"], "calendar_id": calendar_id}}


def created(http: httpx.Client, body: dict[str, Any], path: str = "/v2/bookings") -> Any:
    response = http.post(path, json=body)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def issued(http: httpx.Client, path: str, body: Any = None) -> dict[str, Any]:
    response = http.post(path, json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def feed(http: httpx.Client, path: str, etag: str | None = None) -> httpx.Response:
    """The feed as a calendar app asks for it: no key, perhaps the ETag it holds."""
    headers = (
        {"Authorization": ""} if etag is None else {"Authorization": "", "If-None-Match": etag}
    )
    return http.get(path, headers=headers)


def events(response: httpx.Response) -> dict[str, Any]:
    """The feed's VEVENTs by UID, read by icalendar; the second parser (ics) must read the same
    UIDs, statuses and times."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    parsed = {
        str(event["UID"]): event for event in Calendar.from_ical(response.text).walk("VEVENT")
    }
    second = {event.uid: event for event in ics.Calendar(response.text).events}
    assert set(second) == set(parsed)
    for uid, event in parsed.items():
        assert second[uid].status == str(event["STATUS"])
        assert second[uid].begin.datetime == event.decoded("DTSTART")
    return parsed


def test_a_calendar_feed_shows_each_change_with_a_new_etag_and_sequence(
    http: httpx.Client,
) -> None:
    # Given a class in a calendar of its own, and a token for that calendar
    calendar_id = f"studio-{uuid.uuid4().hex[:8]}"
    class_id = created(http, in_calendar(class_body(max_seats=8), calendar_id))["id"]
    token = issued(http, f"/v2/calendars/{calendar_id}/feed_tokens")
    path = token["feed_path"]
    assert token["feed_url"].endswith(path) and token["calendar_id"] == calendar_id

    # When a calendar app reads the feed, then asks again with its ETag
    first = feed(http, path)
    [event] = events(first).values()
    unchanged = feed(http, path, first.headers["etag"])

    # Then the class is there as created, and nothing changed is 304
    assert str(event["UID"]) == f"{class_id}@group-bookings"
    assert (event["SEQUENCE"], str(event["STATUS"])) == (0, "CONFIRMED")
    assert "Seats: 0 of 8 booked" in str(event["DESCRIPTION"])
    assert unchanged.status_code == 304 and unchanged.headers["etag"] == first.headers["etag"]

    # When a seat is booked: a new description and ETag, the same SEQUENCE (a seat is not a
    # change to the class itself)
    created(http, seat_body(class_id, seats=3))
    booked = feed(http, path, first.headers["etag"])
    [event] = events(booked).values()
    assert booked.headers["etag"] != first.headers["etag"]
    assert "Seats: 3 of 8 booked" in str(event["DESCRIPTION"]) and event["SEQUENCE"] == 0

    # When the class is cancelled: still in the feed, CANCELLED, its SEQUENCE raised
    assert http.put(f"/v2/bookings/{class_id}/cancel").status_code == 200
    cancelled = feed(http, path, booked.headers["etag"])
    [event] = events(cancelled).values()
    assert (event["SEQUENCE"], str(event["STATUS"])) == (1, "CANCELLED")
    assert cancelled.headers["etag"] not in {first.headers["etag"], booked.headers["etag"]}
    assert feed(http, path, cancelled.headers["etag"]).status_code == 304


def test_a_series_class_keeps_its_zone_and_another_calendar_stays_out(http: httpx.Client) -> None:
    calendar_id = f"oslo-{uuid.uuid4().hex[:8]}"
    recurrence = {"rrule": "FREQ=DAILY;COUNT=2", "timezone": "Europe/Oslo"}
    created(http, in_calendar(series_body(recurrence), calendar_id), "/v2/bookings/recurring")
    created(http, in_calendar(class_body(), f"elsewhere-{uuid.uuid4().hex[:8]}"))
    path = issued(http, f"/v2/calendars/{calendar_id}/feed_tokens")["feed_path"]

    response = feed(http, path)
    found = events(response)

    assert len(found) == 2
    assert {event["DTSTART"].params["TZID"] for event in found.values()} == {"Europe/Oslo"}
    assert "BEGIN:VTIMEZONE" in response.text


def test_a_revoked_or_wrong_token_is_404_alike(http: httpx.Client) -> None:
    calendar_id = f"revoked-{uuid.uuid4().hex[:8]}"
    created(http, in_calendar(class_body(), calendar_id))
    token = issued(http, f"/v2/calendars/{calendar_id}/feed_tokens")
    other = issued(http, f"/v2/calendars/other-{calendar_id}/feed_tokens")
    assert feed(http, token["feed_path"]).status_code == 200

    revoked = http.delete(f"/v2/feed_tokens/{token['id']}")
    again = http.delete(f"/v2/feed_tokens/{token['id']}")

    assert revoked.status_code == 200 and revoked.json()["data"]["revoked_at"] is not None
    assert again.json() == revoked.json()
    feeds = f"/v2/calendars/{calendar_id}/feed.ics"
    for path in (
        token["feed_path"],  # revoked
        f"{feeds}?token=not-a-token",  # wrong
        f"{feeds}?token={other['token']}",  # another calendar's
        feeds,  # none at all
        f"/v2/customers/feed.ics?token={other['token']}",  # a calendar's, as a customer's
    ):
        response = feed(http, path)
        assert (response.status_code, response.json()) == (404, NO_FEED), path


def test_a_customer_feed_lists_their_confirmed_seats_only(http: httpx.Client) -> None:
    # Given a customer with a confirmed seat, a cancelled one, and a seat on a waitlist
    name = f"Lorraine {uuid.uuid4().hex[:8]}"
    email = name.lower().replace(" ", ".") + "@mcfly.example"
    kept_class, dropped_class = (created(http, class_body())["id"] for _ in range(2))
    full_class = created(http, class_body(max_seats=1, waitlist_size=5))["id"]
    created(http, seat_body(full_class, name="Biff Tannen"))
    kept = created(http, seat_body(kept_class, seats=2, name=name))["id"]
    dropped = created(http, seat_body(dropped_class, name=name))["id"]
    created(http, seat_body(full_class, name=name, waitlist=True))
    assert http.put(f"/v2/bookings/{dropped}/cancel_by_customer").status_code == 200
    token = issued(http, "/v2/customers/feed_tokens", {"email": email})

    # When their feed is read
    found = events(feed(http, token["feed_path"]))

    # Then it holds the confirmed seat alone, under the UID its e-mailed .ics carries
    assert list(found) == [f"{kept}@group-bookings"]
    assert "Your seats: 2" in str(found[f"{kept}@group-bookings"]["DESCRIPTION"])
    assert token["customer_email"] == email and token["calendar_id"] is None


def test_tokens_are_the_owners_alone_and_bad_input_is_refused(http: httpx.Client) -> None:
    widget = {"Authorization": basic(WIDGET_KEY)}
    assert http.post("/v2/calendars/x/feed_tokens", headers=widget).status_code == 403
    assert http.post("/v2/customers/feed_tokens", headers=widget).status_code == 403
    assert http.delete(f"/v2/feed_tokens/{uuid.uuid4()}", headers=widget).status_code == 403
    assert (
        http.post("/v2/calendars/x/feed_tokens", headers={"Authorization": ""}).status_code == 401
    )

    bad_email = http.post("/v2/customers/feed_tokens", json={"email": "not an address"})
    unknown = http.delete(f"/v2/feed_tokens/{uuid.uuid4()}")
    malformed = http.delete("/v2/feed_tokens/not-a-uuid")

    assert bad_email.status_code == 422 and set(bad_email.json()["errors"]) == {"email"}
    assert unknown.status_code == 404 and set(unknown.json()) == {"error"}
    assert malformed.status_code == 422 and set(malformed.json()["errors"]) == {"token_id"}


def test_an_issue_sent_again_under_its_key_is_refused_not_given_a_dead_token(
    http: httpx.Client,
) -> None:
    key = {"Idempotency-Key": f"feed-{uuid.uuid4()}"}
    first = http.post("/v2/calendars/studio/feed_tokens", headers=key)
    again = http.post("/v2/calendars/studio/feed_tokens", headers=key)

    assert first.status_code == 201, first.text
    assert again.status_code == 422 and set(again.json()["errors"]) == {"idempotency_key"}
    assert feed(http, first.json()["data"]["feed_path"]).status_code == 200


def bookings(deployment: Deployment, *args: str) -> Any:
    """`bookings ARGS... --json` in a fresh interpreter; its answer, parsed."""
    env = {**os.environ, "BOOKINGS_REDIS_URL": deployment.redis_url}
    done = subprocess.run(
        [sys.executable, "-m", "api_client.cli", "--timeout", "60", "--json", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)["data"]


def test_the_cli_issues_a_customer_token_and_revokes_it(
    deployment: Deployment, http: httpx.Client
) -> None:
    issued_here = bookings(deployment, "feed", "issue", "--customer", EMAIL)
    assert feed(http, issued_here["feed_path"]).status_code == 200

    revoked = bookings(deployment, "feed", "revoke", issued_here["id"])

    assert revoked["revoked_at"] is not None and "token" not in revoked
    assert feed(http, issued_here["feed_path"]).status_code == 404


def statements_of_read(deps: HandlerDeps, token: str, calendar_id: str | None) -> list[str]:
    """The SQL a feed read runs (the runner's own, in-process), and that it answered 404 or not."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    sql_events.listen(Engine, "before_cursor_execute", note)
    try:
        query = {"token_digest": token_digest(token), "calendar_id": calendar_id}
        answer = CommandRunner(deps).handle(tasks.READ_FEED, query, now_utc())
    finally:
        sql_events.remove(Engine, "before_cursor_execute", note)
    return [*seen, f"status {answer.get('status', 200)}"]


@pytest.mark.parametrize("kind", ["calendar", "customer"])
def test_a_wrong_or_revoked_token_takes_the_same_path_as_a_right_one(
    handler_deps: HandlerDeps, kind: str
) -> None:
    # Given a calendar with a class, a live token for its feed (or a customer's) and a revoked one
    calendar_id = f"timing-{uuid.uuid4().hex[:8]}"
    create(handler_deps, in_calendar(class_body(), calendar_id))
    opens = {"calendar_id": calendar_id} if kind == "calendar" else {"customer_email": EMAIL}
    right, revoked = new_token(), new_token()
    ids = [
        command(handler_deps, tasks.ISSUE_FEED_TOKEN, token_digest=token_digest(token), **opens)
        for token in (right, revoked)
    ]
    command(handler_deps, tasks.REVOKE_FEED_TOKEN, token_id=ids[1]["data"]["id"])

    # When each is read
    read_from = calendar_id if kind == "calendar" else None
    paths = [
        statements_of_read(handler_deps, token, read_from)
        for token in (right, "not-a-token", revoked)
    ]

    # Then each ran the same statements; only the answer differs
    assert [path[-1] for path in paths] == ["status 200", "status 404", "status 404"]
    assert paths[0][:-1] == paths[1][:-1] == paths[2][:-1]
    assert len(paths[0]) >= 3  # the token, the feed's rows, the answer
