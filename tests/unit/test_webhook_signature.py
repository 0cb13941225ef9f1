"""What a webhook receiver gets: the notification document, and the signature it can check."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime

from tests.unit.outbox_rows import (
    BOOKED_AT,
    DELIVERY_ID,
    NOTIFICATION_ID,
    delivery,
    seat_payload,
)
from worker.channels import notification_document
from worker.channels.webhook import WebhookChannel, signature

SECRET = "shared-with-the-receiver"
BODY = b'{"id":"0e6f3c1a-9a2b-4d5e-8f70-112233445566","type":"booking.confirmed"}'


def test_the_signature_is_the_hex_hmac_sha256_of_the_raw_body() -> None:
    expected = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()

    assert signature(SECRET, BODY) == expected


def test_the_signature_changes_when_a_single_byte_of_the_body_does() -> None:
    assert signature(SECRET, BODY) != signature(SECRET, BODY.replace(b"confirmed", b"Confirmed"))


def test_the_signature_changes_with_the_secret() -> None:
    assert signature(SECRET, BODY) != signature(SECRET + "!", BODY)


def test_the_same_body_and_secret_always_sign_alike() -> None:
    assert signature(SECRET, BODY) == signature(SECRET, bytes(BODY))


def test_the_document_is_named_by_its_notification_not_by_this_channels_delivery() -> None:
    document = notification_document(delivery("booking.confirmed"))

    assert document["id"] == str(NOTIFICATION_ID)
    assert document["id"] != str(DELIVERY_ID)


def test_the_document_carries_type_recipient_message_and_booking_and_nothing_else() -> None:
    payload = seat_payload("cancelled_by_owner")
    row = delivery("booking.cancelled_by_owner", message="Flooded, sorry", payload=payload)

    assert notification_document(row) == {
        "id": str(NOTIFICATION_ID),
        "type": "booking.cancelled_by_owner",
        "recipient": {
            "role": "customer",
            "name": "Marty McFly",
            "email": "marty@mcfly.example",
        },
        "message": "Flooded, sorry",
        "booking": payload,
        "created_at": "2016-09-20T12:00:00+00:00",
    }


def test_the_document_time_is_rfc_3339_with_its_offset() -> None:
    created_at = notification_document(delivery("booking.created"))["created_at"]

    assert datetime.fromisoformat(created_at) == BOOKED_AT
    assert created_at.endswith("+00:00")


def test_a_recipient_without_name_or_address_is_sent_as_nulls() -> None:
    row = delivery("booking.created", recipient_name=None, recipient_email=None)

    assert notification_document(row)["recipient"] == {"role": "owner", "name": None, "email": None}


def test_the_document_is_plain_json() -> None:
    document = notification_document(delivery("booking.confirmed"))

    assert json.loads(json.dumps(document)) == document


def test_a_webhook_channel_keeps_one_http_client_across_sends() -> None:
    # Found by the load run: a client per send loaded the CA bundle every time.
    channel = WebhookChannel("http://127.0.0.1:9/hooks", "s3cret", timeout_s=1.0)
    first = channel.client()
    channel.send([])
    assert channel.client() is first
