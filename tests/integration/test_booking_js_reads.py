"""What booking.js and Timekit's SDK read from the public list: resource, filters, one class."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from api_client import BookingClient, InvalidRequestError, NotFoundError
from api_client.contract import BookingResponse, GroupListResponse
from harness.bodies import class_body, in_days, seat_body

pytestmark = pytest.mark.integration


def test_each_listed_class_carries_its_resource_id_and_the_owners_name(
    client: BookingClient,
) -> None:
    start = in_days(710)
    body = {**class_body(start), "resource_id": "room-b"}
    body["owner"] = {"name": "Emmett Brown", "email": "doc@hill-valley.example"}
    klass = client.create_booking(body)["data"]

    [shown] = client.list_groups(start=start, end=start + timedelta(minutes=1))["data"]

    assert shown["id"] == klass["id"]
    assert shown["resource"] == {"id": "room-b", "name": "Emmett Brown"}
    assert "doc@hill-valley" not in repr(shown)


def test_a_class_without_resource_or_owner_is_its_calendars(client: BookingClient) -> None:
    start = in_days(711)
    client.create_booking(class_body(start))

    listed = client.list_groups(start=start, end=start + timedelta(minutes=1))
    GroupListResponse.model_validate(listed)

    assert [group["resource"] for group in listed["data"]] == [
        {"id": "replace-with-id", "name": "replace-with-id"}
    ]


def test_search_filters_by_project_resource_and_calendar(client: BookingClient) -> None:
    start = in_days(712)
    window = {"start": start, "end": start + timedelta(hours=3)}

    def made(hour: int, **fields: str) -> str:
        body = class_body(start + timedelta(hours=hour))
        body["event"]["calendar_id"] = fields.pop("calendar_id", "cal-main")
        created: str = client.create_booking({**body, **fields})["data"]["id"]
        return created

    yoga = made(0, project_id="proj-yoga", resource_id="room-a")
    pilates = made(1, project_id="proj-pilates", resource_id="room-a")
    other_calendar = made(2, project_id="proj-yoga", calendar_id="cal-annex")

    def ids(search: str) -> list[str]:
        return [group["id"] for group in client.list_groups(**window, search=search)["data"]]

    assert ids("project.id:proj-yoga") == [yoga, other_calendar]
    assert ids("resource.id:room-a") == [yoga, pilates]
    assert ids("resource.id:cal-annex") == [other_calendar]  # no resource_id: its calendar
    assert ids("calendar_id:cal-main;project.id:proj-yoga") == [yoga]
    assert ids("project.id:nobody") == []


def test_an_unknown_search_key_is_refused(client: BookingClient) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        client.list_groups(search="customer.email:marty@mcfly.example")

    assert list(refused.value.errors or {}) == ["search"]


def test_full_classes_are_listed_with_their_seats_unless_available_is_asked(
    client: BookingClient,
) -> None:
    start = in_days(713)
    window = {"start": start, "end": start + timedelta(hours=2)}
    full = client.create_booking(class_body(start, max_seats=1))["data"]["id"]
    client.create_booking(seat_body(full))
    roomy = client.create_booking(class_body(start + timedelta(hours=1)))["data"]["id"]

    everything = client.list_groups(**window)["data"]
    available = client.list_groups(**window, available=True)["data"]

    assert [group["id"] for group in everything] == [full, roomy]
    assert everything[0]["attributes"]["group_booking"]["current_seats"] == 1
    assert [group["id"] for group in available] == [roomy]


def test_a_class_whose_booking_window_has_closed_is_left_out(client: BookingClient) -> None:
    # Given a class tomorrow that closes bookings two days before it starts
    start = in_days(1, hour=20)
    closed = client.create_booking(class_body(start, min_booking_time="2 days"))["data"]["id"]
    still_open = client.create_booking(class_body(start + timedelta(minutes=1)))["data"]["id"]

    listed = client.list_groups(start=start, end=start + timedelta(minutes=2))["data"]

    assert [group["id"] for group in listed] == [still_open]
    with pytest.raises(NotFoundError):
        client.get_group(closed)


def test_one_open_class_reads_as_the_list_shows_it(client: BookingClient) -> None:
    start = in_days(714)
    body = {**class_body(start), "resource_id": "room-c", "meta": {"secret": "owner's"}}
    body["owner"] = {"name": "Emmett Brown", "email": "doc@hill-valley.example"}
    class_id = client.create_booking(body)["data"]["id"]
    client.create_booking(seat_body(class_id))

    shown = client.get_group(class_id)
    [listed] = client.list_groups(start=start, end=start + timedelta(minutes=1))["data"]

    BookingResponse.model_validate(shown)
    assert shown["data"] == listed
    assert shown["data"]["resource"] == {"id": "room-c", "name": "Emmett Brown"}
    assert "meta" not in shown["data"] and "Marty" not in repr(shown)


def test_a_seat_booking_or_a_cancelled_class_is_not_an_open_class(client: BookingClient) -> None:
    class_id = client.create_booking(class_body(in_days(715)))["data"]["id"]
    seat_id = client.create_booking(seat_body(class_id))["data"]["id"]
    cancelled = client.create_booking(class_body(in_days(716)))["data"]["id"]
    client.cancel(cancelled)

    for booking_id in (seat_id, cancelled, str(uuid.uuid4())):
        with pytest.raises(NotFoundError):
            client.get_group(booking_id)
