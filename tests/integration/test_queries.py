"""Reading bookings back: the public list of open classes and one booking with its includes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from api_client import BookingClient
from harness.bodies import class_body, in_days, seat_body

pytestmark = pytest.mark.integration


def test_open_classes_overlapping_a_range_are_listed_by_start(client: BookingClient) -> None:
    base = in_days(400)  # a stretch of time no other test books in
    later = client.create_booking(class_body(base + timedelta(days=2)))["data"]
    earlier = client.create_booking(class_body(base + timedelta(hours=3)))["data"]
    outside = client.create_booking(class_body(base + timedelta(days=9)))["data"]
    cancelled = client.create_booking(class_body(base + timedelta(days=1)))["data"]
    client.cancel(cancelled["id"])

    listed = client.list_groups(start=base, end=base + timedelta(days=5))["data"]

    assert [group["id"] for group in listed] == [earlier["id"], later["id"]]
    assert outside["id"] not in [group["id"] for group in listed]


def test_a_class_running_across_the_range_start_is_listed(client: BookingClient) -> None:
    base = in_days(500)
    running = client.create_booking(class_body(base, length=timedelta(hours=3)))["data"]

    listed = client.list_groups(start=base + timedelta(hours=1), end=base + timedelta(hours=2))

    assert [group["id"] for group in listed["data"]] == [running["id"]]


def test_the_public_list_shows_seats_taken_but_never_customer_or_owner_data(
    client: BookingClient,
) -> None:
    base = in_days(600)
    body = class_body(base, max_seats=12)
    body["owner"] = {"name": "Emmett Brown", "email": "doc@hill-valley.example"}
    klass = client.create_booking(body)["data"]
    client.create_booking(seat_body(klass["id"], seats=5))

    [listed] = client.list_groups(start=base, end=base + timedelta(hours=1))["data"]

    assert listed["attributes"]["group_booking"] == {
        "current_seats": 5,
        "max_seats": 12,
        "waitlist_seats": 0,
        "offered_seats": 0,
        "waitlist_size": 0,
    }
    # The owner's name is the class's public resource name (issue 12); their e-mail stays out.
    assert listed["resource"] == {"id": "replace-with-id", "name": "Emmett Brown"}
    text = repr({key: value for key, value in listed.items() if key != "resource"})
    for private in ("marty", "McFly", "doc@hill-valley", "Emmett", "customer", "related"):
        assert private not in text
    assert "doc@hill-valley" not in repr(listed)


def test_a_seat_booking_shows_its_customer_its_seats_and_its_class(client: BookingClient) -> None:
    klass = client.create_booking(class_body())["data"]
    seat = client.create_booking(seat_body(klass["id"], seats=2))["data"]

    shown = client.get_booking(seat["id"], include=["attributes", "related_bookings"])["data"]

    assert shown["seats"] == 2
    assert shown["owner_booking_id"] == klass["id"]
    assert shown["attributes"]["customer"] == {
        "name": "Marty McFly",
        "email": "marty.mcfly@mcfly.example",
    }
    assert shown["attributes"]["group_booking"] == {"owner_booking_id": klass["id"], "seats": 2}
    assert [entry["id"] for entry in shown["related_bookings"]] == [klass["id"]]


def test_without_include_a_booking_shows_only_its_summary(client: BookingClient) -> None:
    klass = client.create_booking(class_body())["data"]

    shown = client.get_booking(klass["id"])["data"]

    assert set(shown) == {
        "id",
        "state",
        "graph",
        "completed",
        "created_at",
        "updated_at",
        "available_actions",
    }
