"""What a calendar feed says of each class and seat, rendered from rows (no services)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import ics
import pytest
from icalendar import Calendar
from pydantic import ValidationError

from api_client.contract.feeds import FeedTokenIssue
from api_client.feed_tokens import feed_path, new_token, token_digest
from gateway.answers import pending_response
from gateway.feeds import if_none_match_names, with_token_shown
from tests.unit.outbox_rows import SEAT_ID, seat_payload
from worker.channels.ics import invitation
from worker.feeds import calendar_feed, customer_feed, entity_tag, sequence

START = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)
CHANGED = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def a_class(**fields: Any) -> dict[str, Any]:
    row = {
        "id": uuid.uuid4(),
        "starts_at": START,
        "ends_at": START + timedelta(hours=1),
        "what": "Yoga; with a mat, please",
        "where": "Hill Valley",
        "description": "Arrive early",
        "state": "tentative",
        "current_seats": 3,
        "max_seats": 10,
        "waitlist_seats": 0,
        "created_at": CHANGED,
        "updated_at": CHANGED,
        "changes": 1,
        "timezone": None,
    }
    return {**row, **fields}


def only_event(body: bytes) -> Any:
    (event,) = Calendar.from_ical(body).walk("VEVENT")
    return event


def test_sequence_counts_the_changes_after_creation() -> None:
    assert [sequence(n) for n in (0, 1, 2, 5)] == [0, 0, 1, 4]


def test_a_cancelled_class_stays_in_the_feed_as_cancelled_with_its_sequence_raised() -> None:
    event = only_event(calendar_feed("studio", [a_class(state="cancelled", changes=2)]))

    assert (str(event["STATUS"]), event["SEQUENCE"]) == ("CANCELLED", 1)


def test_a_class_says_its_seats_and_waitlist_after_its_description() -> None:
    event = only_event(calendar_feed("studio", [a_class(waitlist_seats=2)]))

    assert str(event["DESCRIPTION"]) == "Arrive early\n\nSeats: 3 of 10 booked, 2 waiting"


def test_a_series_class_has_its_zone_and_a_lone_one_is_in_utc() -> None:
    body = calendar_feed("studio", [a_class(timezone="America/New_York"), a_class()])
    zoned, plain = Calendar.from_ical(body).walk("VEVENT")

    assert zoned["DTSTART"].params["TZID"] == "America/New_York"
    assert zoned.decoded("DTSTART").utcoffset() == timedelta(hours=-4)
    assert zoned.decoded("DTSTART") == START
    assert plain.decoded("DTSTART").tzinfo is not None and plain.decoded("DTSTART") == START
    assert [tz["TZID"] for tz in Calendar.from_ical(body).walk("VTIMEZONE")] == ["America/New_York"]


def test_the_same_rows_render_the_same_bytes_and_a_seat_booked_changes_the_etag_only() -> None:
    row = a_class()
    booked = {**row, "current_seats": 4}

    assert calendar_feed("studio", [row]) == calendar_feed("studio", [dict(row)])
    assert entity_tag(calendar_feed("studio", [row])) != entity_tag(
        calendar_feed("studio", [booked])
    )
    assert only_event(calendar_feed("studio", [booked]))["SEQUENCE"] == 0


def test_a_customer_seat_has_the_uid_of_its_e_mailed_invitation() -> None:
    seat = a_class(id=SEAT_ID, seats=2)
    feed_event = only_event(customer_feed([seat]))
    mailed = only_event(invitation(seat_payload(), "REQUEST"))

    assert feed_event["UID"] == mailed["UID"]
    assert str(feed_event["DESCRIPTION"]).endswith("Your seats: 2")


def test_a_second_parser_reads_the_feed_alike() -> None:
    rows = [a_class(timezone="Europe/Oslo", state="cancelled"), a_class()]
    body = calendar_feed("studio", rows)

    read = {event.uid: event for event in ics.Calendar(body.decode()).events}

    assert set(read) == {f"{row['id']}@group-bookings" for row in rows}
    assert {event.status for event in read.values()} == {"CANCELLED", "CONFIRMED"}
    assert all(event.begin.datetime == START for event in read.values())
    assert all(event.name == "Yoga; with a mat, please" for event in read.values())


def test_a_token_is_random_and_known_by_its_sha256() -> None:
    token = new_token()

    assert token != new_token() and len(token) >= 43
    assert len(token_digest(token)) == 64 and token not in token_digest(token)
    assert feed_path(token, "a/b") == f"/v2/calendars/a%2Fb/feed.ics?token={token}"
    assert feed_path(token) == f"/v2/customers/feed.ics?token={token}"


@pytest.mark.parametrize(
    "fields",
    [{}, {"calendar_id": "studio", "customer_email": "marty@mcfly.example"}],
    ids=["neither", "both"],
)
def test_a_token_opens_one_calendar_or_one_customer(fields: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="either calendar_id or customer_email"):
        FeedTokenIssue(token_digest=token_digest("t"), **fields)


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        (None, False),
        ('"abc"', True),
        ('W/"abc"', True),
        ('"old", "abc"', True),
        ("*", True),
        ('"abd"', False),
    ],
)
def test_if_none_match_names_the_etag(header: str | None, matches: bool) -> None:
    assert if_none_match_names(header, '"abc"') is matches


def test_an_issue_answered_later_still_shows_its_token_beside_the_job() -> None:
    shown = with_token_shown(pending_response("job-1"), "http://gw/", "tok", "studio")

    assert shown.status_code == 202 and shown.headers["location"] == "/v2/jobs/job-1"
    assert json.loads(bytes(shown.body))["data"] == {
        "job_id": "job-1",
        "state": "pending",
        "token": "tok",
        "feed_path": "/v2/calendars/studio/feed.ics?token=tok",
        "feed_url": "http://gw/v2/calendars/studio/feed.ics?token=tok",
    }
