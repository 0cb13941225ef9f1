"""A receiver written for Timekit's webhooks verifies and reads every one a real worker sends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from api_client import BookingClient
from harness.bodies import class_body, seat_body
from harness.databases import fresh_database
from harness.receivers import WebhookReceiver, webhook_receiver
from harness.redis_databases import redis_url
from harness.waiting import eventually
from harness.workers import running_workers

pytestmark = pytest.mark.integration

SECRET = "our-shared-secret"
DOC = {"name": "Emmett Brown", "email": "doc@hill-valley.example"}
# The notification's fields next to the booking's (README, "Completion and notifications").
NOTIFICATION_FIELDS = {"type", "notification_id", "recipient", "message"}


@dataclass
class TimekitHooks:
    webhook: WebhookReceiver
    client: BookingClient


@pytest.fixture(scope="module")
def timekit_hooks(backend: str, workdir: Path) -> Iterator[TimekitHooks]:
    """Workers sending webhooks in Timekit's format to a receiver that verifies Timekit's way:
    the hex HMAC-SHA256 of the raw body, in x-timekit-signature."""
    with ExitStack() as stack:
        webhook = stack.enter_context(webhook_receiver(SECRET, "x-timekit-signature"))
        database_url = stack.enter_context(fresh_database(backend, workdir))
        settings = {
            "BOOKINGS_WEBHOOK_URL": webhook.url,
            "BOOKINGS_WEBHOOK_SECRET": SECRET,
            "BOOKINGS_WEBHOOK_FORMAT": "timekit",
        }
        deployment = stack.enter_context(
            running_workers(
                redis_url("notifications-timekit"), database_url, workdir, settings=settings
            )
        )
        yield TimekitHooks(webhook, stack.enter_context(deployment.client()))


def webhook_rows(client: BookingClient, booking_id: str) -> list[dict[str, Any]]:
    rows = client.get_booking(booking_id, include=["notifications"])["data"]["notifications"]
    return [row for row in rows if row["channel"] == "webhook"]


def all_sent(client: BookingClient, booking_id: str, expected: int) -> bool:
    rows = webhook_rows(client, booking_id)
    return len(rows) == expected and all(row["state"] == "delivered" for row in rows)


def test_every_delivery_of_a_class_booked_and_cancelled_verifies_and_reads_as_the_booking(
    timekit_hooks: TimekitHooks,
) -> None:
    client, webhook = timekit_hooks.client, timekit_hooks.webhook
    # Given Doc's class somewhere whose name has a slash and an accent (escaped as PHP does)
    body = class_body()
    body["owner"] = DOC
    body["event"]["where"] = "Café 1/2, Hill Valley"
    class_id = str(client.create_booking(body)["data"]["id"])
    # When Marty and Jennifer book, Marty cancels and then Doc cancels the class
    marty = client.create_booking(seat_body(class_id, 2, name="Marty McFly"))["data"]["id"]
    jennifer = client.create_booking(seat_body(class_id, 1, name="Jennifer Parker"))["data"]["id"]
    client.cancel_by_customer(marty, "Double booked/sorry, Doc!")
    client.cancel(class_id, "Getting the DeLorean fixed. Grüße, Doc")

    # Then each of their three notices reaches the receiver, which accepted every signature
    eventually(lambda: all_sent(client, marty, 3) and all_sent(client, jennifer, 3))
    assert webhook.bad_signatures == 0
    documents = {
        seat: [doc for doc in webhook.documents() if doc["id"] == seat]
        for seat in (marty, jennifer)
    }
    for seat in (marty, jennifer):
        rows = webhook_rows(client, seat)
        assert sorted(doc["notification_id"] for doc in documents[seat]) == sorted(
            row["id"] for row in rows
        )

    # And each reads as the booking plus which notice it is and whom it is for
    assert {(d["type"], d["recipient"]["role"]) for d in documents[marty]} == {
        ("booking.created", "owner"),
        ("booking.confirmed", "customer"),
        ("booking.cancelled_by_customer", "owner"),
    }
    assert {(d["type"], d["recipient"]["role"]) for d in documents[jennifer]} == {
        ("booking.created", "owner"),
        ("booking.confirmed", "customer"),
        ("booking.cancelled_by_owner", "customer"),
    }
    for seat in (marty, jennifer):
        for document in documents[seat]:
            assert document["graph"] == "group_customer"
            assert document["attributes"]["event_info"]["where"] == "Café 1/2, Hill Valley"
            assert document["attributes"]["group_booking"]["owner_booking_id"] == class_id
        [last] = [d for d in documents[seat] if d["type"].startswith("booking.cancelled")]
        booking = {key: value for key, value in last.items() if key not in NOTIFICATION_FIELDS}
        assert booking == client.get_booking(seat, include=["attributes"])["data"]
    [marty_cancelled] = [d for d in documents[marty] if d["state"] == "cancelled_by_customer"]
    assert marty_cancelled["recipient"] == {"role": "owner", **DOC}
    assert marty_cancelled["message"] == "Double booked/sorry, Doc!"
    [jennifer_cancelled] = [d for d in documents[jennifer] if d["state"] == "cancelled_by_owner"]
    assert jennifer_cancelled["recipient"]["email"] == "jennifer.parker@mcfly.example"
    assert jennifer_cancelled["message"] == "Getting the DeLorean fixed. Grüße, Doc"
