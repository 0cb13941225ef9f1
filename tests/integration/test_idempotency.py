"""Every command is applied once per idempotency key, however often it is delivered."""

from __future__ import annotations

import uuid

import pytest

from api_client import BookingClient, ConflictError, InvalidRequestError
from harness.bodies import class_body, in_days, seat_body
from harness.workers import Deployment
from tests.support.invariants import seat_accounts

pytestmark = pytest.mark.integration


def test_a_command_sent_twice_with_one_key_is_applied_once_and_answers_the_first_result(
    client: BookingClient, deployment: Deployment
) -> None:
    klass = client.create_booking(class_body())["data"]
    order_number = f"order-{uuid.uuid4()}"

    first = client.create_booking(seat_body(klass["id"], seats=2), idempotency_key=order_number)
    second = client.create_booking(seat_body(klass["id"], seats=2), idempotency_key=order_number)

    assert second == first
    [account] = seat_accounts(deployment.database_url, [klass["id"]])
    assert (account.current_seats, account.seats_held) == (2, 2)


def test_twin_deliveries_racing_each_other_apply_once(
    client: BookingClient, deployment: Deployment
) -> None:
    # Given a class, when the same command arrives as many messages at once (a redelivery
    # storm), then the workers run them concurrently but exactly one seat booking exists.
    klass = client.create_booking(class_body())["data"]
    key = str(uuid.uuid4())
    body = seat_body(klass["id"], seats=1)

    pending = [client.submit_booking(body, idempotency_key=key) for _ in range(8)]
    results = [handle.result() for handle in pending]

    assert len({result["data"]["id"] for result in results}) == 1
    related = client.get_booking(klass["id"], include=["related_bookings"])["data"]
    assert len(related["related_bookings"]) == 1
    [account] = seat_accounts(deployment.database_url, [klass["id"]])
    assert account.holds and account.current_seats == 1


def test_a_replay_answers_the_first_result_even_after_the_booking_changed(
    client: BookingClient,
) -> None:
    klass = client.create_booking(class_body())["data"]
    key = str(uuid.uuid4())
    booked = client.create_booking(seat_body(klass["id"]), idempotency_key=key)
    client.cancel_by_owner(booked["data"]["id"])

    replayed = client.create_booking(seat_body(klass["id"]), idempotency_key=key)

    assert replayed == booked
    assert replayed["data"]["state"] == "confirmed"


def test_the_same_key_with_a_different_body_is_refused_and_changes_nothing(
    client: BookingClient, deployment: Deployment
) -> None:
    klass = client.create_booking(class_body())["data"]
    key = str(uuid.uuid4())
    client.create_booking(seat_body(klass["id"], seats=1), idempotency_key=key)

    with pytest.raises(InvalidRequestError) as refused:
        client.create_booking(seat_body(klass["id"], seats=3), idempotency_key=key)

    assert "idempotency_key" in (refused.value.errors or {})
    [account] = seat_accounts(deployment.database_url, [klass["id"]])
    assert account.current_seats == 1


def test_a_refused_command_replayed_after_seats_free_up_answers_its_refusal_again(
    deployment: Deployment, client: BookingClient
) -> None:
    # Seen while writing the drills' outcome check: a late duplicate of a refused command,
    # after a cancellation freed the seats, booked them though its caller was told "full".
    klass = client.create_booking(class_body(max_seats=2))["data"]
    holder = client.create_booking(seat_body(klass["id"], seats=2, name="Biff Tannen"))["data"]
    key = str(uuid.uuid4())
    with pytest.raises(ConflictError) as first:
        client.create_booking(seat_body(klass["id"], seats=2), idempotency_key=key)

    client.cancel_by_customer(holder["id"], "Make like a tree")
    with pytest.raises(ConflictError) as replayed:
        client.create_booking(seat_body(klass["id"], seats=2), idempotency_key=key)

    assert replayed.value.message == first.value.message
    [account] = seat_accounts(deployment.database_url, [klass["id"]])
    assert account.current_seats == 0


def test_a_refused_command_under_a_new_key_is_judged_again(client: BookingClient) -> None:
    klass = client.create_booking(class_body(max_seats=2))["data"]
    holder = client.create_booking(seat_body(klass["id"], seats=2, name="Biff Tannen"))["data"]
    with pytest.raises(ConflictError):
        client.create_booking(seat_body(klass["id"], seats=2))

    client.cancel_by_customer(holder["id"], "Make like a tree")
    retried = client.create_booking(seat_body(klass["id"], seats=2))

    assert retried["data"]["state"] == "confirmed"


def test_an_action_replayed_with_its_key_is_applied_once(client: BookingClient) -> None:
    klass = client.create_booking(class_body())["data"]
    seat = client.create_booking(seat_body(klass["id"], seats=2))["data"]
    key = str(uuid.uuid4())

    first = client.cancel_by_owner(seat["id"], "Room flooded", idempotency_key=key)
    again = client.cancel_by_owner(seat["id"], "Room flooded", idempotency_key=key)

    assert again == first
    logs = client.get_booking(seat["id"], include=["logs"])["data"]["logs"]
    assert [entry["action"] for entry in logs] == ["create", "cancel_by_owner"]


def test_twin_deliveries_of_a_class_creation_racing_each_other_create_one_class(
    client: BookingClient,
) -> None:
    # Class creation takes no lock: the twins really run at once, and the loser's insert of
    # the same key fails inside its transaction, which rolls its class back.
    key = str(uuid.uuid4())
    body = class_body(in_days(800))

    results = [h.result() for h in [client.submit_booking(body, key) for _ in range(8)]]

    assert len({result["data"]["id"] for result in results}) == 1
    listed = client.list_groups(start=in_days(799), end=in_days(801))["data"]
    assert [group["id"] for group in listed] == [results[0]["data"]["id"]]
