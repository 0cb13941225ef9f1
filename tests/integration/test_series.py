"""A season of classes in one command, listed and cancelled as a series."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from api_client import BookingClient, ConflictError, InvalidRequestError, NotFoundError
from harness.bodies import class_body, seat_body

pytestmark = pytest.mark.integration


def next_friday(hour_utc: int, weeks_ahead: int = 2) -> datetime:
    today = datetime.now(UTC).replace(hour=hour_utc, minute=0, second=0, microsecond=0)
    return today + timedelta(days=(4 - today.weekday()) % 7 + 7 * weeks_ahead)


def series_body(first: datetime, recurrence: dict[str, Any], what: str) -> dict[str, Any]:
    body = class_body(first, max_seats=12)
    body["event"]["what"] = what
    body["recurrence"] = recurrence
    return body


def test_ten_fridays_then_cancelling_from_week_six_leaves_weeks_one_to_five_open(
    client: BookingClient,
) -> None:
    first = next_friday(17)
    rule = {"rrule": "FREQ=WEEKLY;BYDAY=FR;COUNT=10", "timezone": "UTC"}
    created = client.create_recurring(series_body(first, rule, f"Yoga term {uuid.uuid4()}"))
    series_id, classes = created["data"]["series_id"], created["data"]["bookings"]
    assert [c["attributes"]["event_info"]["start"] for c in classes] == [
        (first + timedelta(weeks=week)).isoformat() for week in range(10)
    ]
    assert {c["series_id"] for c in classes} == {series_id}
    week_seven_seat = client.create_booking(seat_body(classes[6]["id"], 2))["data"]["id"]

    cancelled = client.cancel_series(
        series_id, "Studio closed for renovation", from_=first + timedelta(weeks=5)
    )

    assert cancelled["data"]["cancelled"] == sorted(c["id"] for c in classes[5:])
    still_open = client.list_groups(series_id=series_id)["data"]
    assert [c["id"] for c in still_open] == [c["id"] for c in classes[:5]]
    assert client.get_booking(classes[7]["id"])["data"]["state"] == "cancelled"
    seat = client.get_booking(week_seven_seat, include=["logs"])["data"]
    assert seat["state"] == "cancelled_by_owner"
    assert seat["logs"][-1]["message"] == "Studio closed for renovation"


def test_a_nine_oclock_class_in_oslo_stays_at_nine_across_the_autumn_clock_change(
    client: BookingClient,
) -> None:
    # 09:00 in Oslo on a Friday in October of next year, summer time (UTC+2): 07:00 UTC.
    year = datetime.now(UTC).year + 1
    first = datetime(year, 10, 1, 7, 0, tzinfo=UTC)
    first += timedelta(days=(4 - first.weekday()) % 7)
    rule = {"rrule": "FREQ=WEEKLY;COUNT=6", "timezone": "Europe/Oslo"}

    classes = client.create_recurring(series_body(first, rule, "Oslo yoga"))["data"]["bookings"]

    hours_utc = [
        datetime.fromisoformat(c["attributes"]["event_info"]["start"]).hour for c in classes
    ]
    assert hours_utc[0] == 7 and hours_utc[-1] == 8  # winter time (UTC+1) from late October
    assert sorted(set(hours_utc)) == [7, 8]
    # and each class keeps the series' zone as its own, for its e-mails and .ics
    assert {c["attributes"]["event_info"]["timezone"] for c in classes} == {"Europe/Oslo"}


def test_a_series_class_with_a_zone_of_its_own_keeps_it(client: BookingClient) -> None:
    body = series_body(next_friday(17), {"starts": [next_friday(17).isoformat()]}, "Zoned")
    body["event"]["timezone"] = "America/New_York"

    (klass,) = client.create_recurring(body)["data"]["bookings"]

    assert klass["attributes"]["event_info"]["timezone"] == "America/New_York"


def test_a_rule_without_an_end_is_refused_and_writes_nothing(client: BookingClient) -> None:
    what = f"Endless yoga {uuid.uuid4()}"
    rule = {"rrule": "FREQ=WEEKLY;BYDAY=FR", "timezone": "UTC"}

    with pytest.raises(InvalidRequestError) as refused:
        client.create_recurring(series_body(next_friday(17), rule, what))

    assert list(refused.value.errors or {}) == ["recurrence.rrule"]
    listed = client.list_groups()["data"]
    assert what not in [c["attributes"]["event_info"]["what"] for c in listed]


def test_a_series_replayed_with_its_key_is_created_once(client: BookingClient) -> None:
    key = f"term-{uuid.uuid4()}"
    rule = {"starts": [next_friday(17, w).isoformat() for w in (3, 4, 6)]}
    body = series_body(next_friday(17, 3), rule, "Three Fridays")

    first = client.create_recurring(body, idempotency_key=key)
    again = client.create_recurring(body, idempotency_key=key)

    assert again == first
    listed = client.list_groups(series_id=first["data"]["series_id"])["data"]
    assert len(listed) == 3


def test_cancelling_an_unknown_series_is_not_found(client: BookingClient) -> None:
    with pytest.raises(NotFoundError):
        client.cancel_series(str(uuid.uuid4()))


def test_a_term_booking_takes_the_same_seats_in_every_open_class_of_the_series(
    client: BookingClient,
) -> None:
    rule = {"rrule": "FREQ=WEEKLY;COUNT=4", "timezone": "UTC"}
    term = client.create_recurring(series_body(next_friday(17), rule, "Term"))["data"]
    client.cancel(term["bookings"][2]["id"])  # one week off: not part of the term any more

    booked = client.create_booking(
        {
            "graph": "group_customer",
            "related": {"series_id": term["series_id"], "seats": 2},
            "customer": {"name": "Marty McFly", "email": "marty@mcfly.example"},
        }
    )["data"]

    assert booked["series_id"] == term["series_id"]
    assert [b["owner_booking_id"] for b in booked["bookings"]] == [
        term["bookings"][i]["id"] for i in (0, 1, 3)
    ]
    assert {b["seats"] for b in booked["bookings"]} == {2}


def test_a_term_booking_with_one_full_week_is_refused_whole(client: BookingClient) -> None:
    rule = {"rrule": "FREQ=WEEKLY;COUNT=5", "timezone": "UTC"}
    body = series_body(next_friday(17), rule, "Popular term")
    body["settings"]["max_seats"] = 3
    term = client.create_recurring(body)["data"]
    full_week = term["bookings"][3]
    client.create_booking(seat_body(full_week["id"], 2, name="Biff Tannen"))

    with pytest.raises(ConflictError) as refused:
        client.create_booking(
            {
                "graph": "group_customer",
                "related": {"series_id": term["series_id"], "seats": 2},
                "customer": {"name": "Marty McFly", "email": "marty@mcfly.example"},
            }
        )

    assert full_week["id"] in refused.value.message
    seats_taken = [
        c["attributes"]["group_booking"]["current_seats"]
        for c in client.list_groups(series_id=term["series_id"])["data"]
    ]
    assert seats_taken == [0, 0, 0, 2, 0]  # nothing booked in the other weeks either
