"""Bulk commands: many bodies at once, all or nothing, or each on its own."""

from __future__ import annotations

import uuid

import pytest

from api_client import BookingClient, ConflictError, InvalidRequestError
from harness.bodies import class_body, in_days, seat_body
from harness.workers import Deployment
from tests.support.invariants import seat_accounts

pytestmark = pytest.mark.integration


def test_all_or_nothing_applies_every_item_in_one_go(client: BookingClient) -> None:
    klass = client.create_booking(class_body(max_seats=5))["data"]["id"]

    done = client.bulk_create(
        [class_body(in_days(30)), seat_body(klass, 2), seat_body(klass, 1, name="Jennifer Parker")]
    )["data"]

    assert [item["data"]["graph"] for item in done] == [
        "group_owner",
        "group_customer",
        "group_customer",
    ]
    seats = client.get_booking(klass, include=["attributes"])["data"]["attributes"]
    assert seats["group_booking"]["current_seats"] == 3


def test_one_refusal_rolls_back_the_whole_bulk_and_names_its_item(
    client: BookingClient, deployment: Deployment
) -> None:
    klass = client.create_booking(class_body(max_seats=2))["data"]["id"]
    what = f"Never created {uuid.uuid4()}"
    new_class = class_body(in_days(31))
    new_class["event"]["what"] = what

    with pytest.raises(ConflictError) as refused:
        client.bulk_create([new_class, seat_body(klass, 2), seat_body(klass, 1)])

    assert refused.value.message.startswith("item 2 was refused, so nothing was applied")
    [account] = seat_accounts(deployment.database_url, [klass])
    assert account.current_seats == 0
    listed = [c["attributes"]["event_info"]["what"] for c in client.list_groups()["data"]]
    assert what not in listed


def test_an_invalid_item_refuses_an_all_or_nothing_bulk_before_anything_is_sent(
    client: BookingClient,
) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        client.bulk_create([class_body(), class_body(max_seats=0)])

    assert refused.value.errors == {
        "items.1.settings.max_seats": ["Input should be greater than or equal to 1"]
    }


def test_without_all_or_nothing_each_item_succeeds_or_fails_on_its_own_in_order(
    client: BookingClient,
) -> None:
    klass = client.create_booking(class_body(max_seats=2))["data"]["id"]

    outcomes = client.bulk_create(
        [seat_body(klass, 2), seat_body(klass, 1), class_body(max_seats=0), class_body()],
        all_or_nothing=False,
    )["data"]

    assert "data" in outcomes[0]
    assert outcomes[1]["status"] == 409 and "left" in outcomes[1]["error"]
    assert outcomes[2]["status"] == 422 and "settings.max_seats" in outcomes[2]["errors"]
    assert outcomes[3]["data"]["graph"] == "group_owner"


def test_a_bulk_replayed_with_its_key_is_applied_once(client: BookingClient) -> None:
    klass = client.create_booking(class_body(max_seats=10))["data"]["id"]
    key = f"import-{uuid.uuid4()}"
    bodies = [seat_body(klass, 1, name=f"Guest {i}") for i in range(3)]

    first = client.bulk_create(bodies, idempotency_key=key)
    again = client.bulk_create(bodies, idempotency_key=key)
    each_alone = client.bulk_create(bodies, all_or_nothing=False, idempotency_key=f"{key}-b")
    each_again = client.bulk_create(bodies, all_or_nothing=False, idempotency_key=f"{key}-b")

    assert again == first
    assert each_again == each_alone
    seats = client.get_booking(klass, include=["attributes"])["data"]["attributes"]
    assert seats["group_booking"]["current_seats"] == 6
