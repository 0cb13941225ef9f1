"""What booking.js and Timekit's SDK read from the public list: resource, filters, one class."""

from __future__ import annotations

from datetime import timedelta

import pytest

from api_client import BookingClient
from api_client.contract import GroupListResponse
from harness.bodies import class_body, in_days

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
