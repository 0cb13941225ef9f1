"""What a receiver written for Timekit's webhooks gets: the booking, signed as Timekit signs."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import subprocess
from typing import Any, get_args

import pytest

from tests.unit.outbox_rows import NOTIFICATION_ID, delivery, seat_payload
from worker.channels import build_channels, notification_document
from worker.channels.webhook import WebhookChannel, signature, signed_request
from worker.channels.webhook_formats import (
    FORMATS,
    TIMEKIT_NOTIFICATION_FIELDS,
    timekit_document,
    timekit_json,
)
from worker.config import Settings, WebhookFormatName, get_settings, settings_or_exit

SECRET = "our-shared-secret"


def test_a_known_vector_computed_here_with_hmac_matches_the_timekit_signature() -> None:
    # Given a body and secret, and their hex HMAC-SHA256 worked out here, not by the worker
    body = b'{"id":"b3c99d95-6a46-4957-b30e-bfc929efabc3","state":"confirmed"}'
    expected = hmac.new(b"our-shared-secret", body, hashlib.sha256).hexdigest()

    assert signature(SECRET, body) == expected
    assert len(expected) == 64 and expected == expected.lower()


def test_a_timekit_delivery_is_signed_in_x_timekit_signature_over_its_raw_body() -> None:
    body, headers = signed_request(delivery("booking.confirmed"), SECRET, "timekit")

    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers == {"Content-Type": "application/json", "x-timekit-signature": expected}


# Timekit's Node example of verifying a webhook (https://developers.timekit.io/docs/signed-webhooks)
TIMEKIT_NODE_CHECK = """
const crypto = require('crypto');
const payload = require('fs').readFileSync(0, 'utf8');
const hash = crypto.createHmac('sha256', process.env.SECRET).update(payload).digest('hex');
process.stdout.write(hash === process.env.HEADER ? 'verified' : 'refused');
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
@pytest.mark.parametrize("secret", [SECRET, "not-the-secret"])
def test_timekit_s_own_node_check_verifies_the_delivery_only_with_the_secret(secret: str) -> None:
    payload = seat_payload(where="Café 1/2, Hill Valley")
    body, headers = signed_request(delivery("booking.created", payload=payload), SECRET, "timekit")

    checked = subprocess.run(
        ["node", "-e", TIMEKIT_NODE_CHECK],
        input=body,
        env={"SECRET": secret, "HEADER": headers["x-timekit-signature"]},
        capture_output=True,
        check=True,
        timeout=30,
    )

    assert checked.stdout.decode() == ("verified" if secret == SECRET else "refused")


def test_a_timekit_receiver_with_another_secret_refuses_the_delivery() -> None:
    # The control: the check above can fail.
    body, headers = signed_request(delivery("booking.confirmed"), SECRET, "timekit")

    forged = hmac.new(b"not-the-secret", body, hashlib.sha256).hexdigest()
    assert not hmac.compare_digest(forged, headers["x-timekit-signature"])


def test_the_timekit_body_is_the_booking_with_its_attributes_plus_the_notification() -> None:
    payload = seat_payload("cancelled_by_owner")
    row = delivery("booking.cancelled_by_owner", message="Flooded, sorry", payload=payload)

    document = json.loads(signed_request(row, SECRET, "timekit")[0])

    assert document == {
        **payload,
        "type": "booking.cancelled_by_owner",
        "notification_id": str(NOTIFICATION_ID),
        "recipient": {"role": "customer", "name": "Marty McFly", "email": "marty@mcfly.example"},
        "message": "Flooded, sorry",
    }


def test_the_booking_fields_sit_at_the_top_level_as_in_timekits_webhooks() -> None:
    document = timekit_document(delivery("booking.created"))

    assert document["id"] == seat_payload()["id"]
    assert document["state"] == "confirmed"
    assert document["graph"] == "group_customer"
    assert document["attributes"]["event_info"]["what"] == "Doc Brown's Friday Yoga Class"
    assert "booking" not in document


def test_no_field_of_a_presented_booking_is_hidden_by_the_notifications() -> None:
    for state in ("confirmed", "cancelled_by_customer", "cancelled_by_owner"):
        assert not set(seat_payload(state)) & set(TIMEKIT_NOTIFICATION_FIELDS)


def test_a_booking_field_named_like_a_notification_field_fails_that_delivery_alone() -> None:
    clashing = delivery("booking.created", payload={**seat_payload(), "type": "yoga"})

    with pytest.raises(ValueError, match="type"):
        timekit_document(clashing)
    channel = WebhookChannel("http://127.0.0.1:9/", SECRET, timeout_s=1, webhook_format="timekit")
    assert list(channel.send([clashing])) == [clashing["id"]]


def test_the_timekit_body_writes_slashes_and_non_ascii_as_phps_json_encode_does() -> None:
    # Timekit's sample payloads read "Europe\/Copenhagen"; its PHP check re-encodes the body.
    payload = seat_payload(where="Calle 5/7, Málaga")

    body = signed_request(delivery("booking.created", payload=payload), SECRET, "timekit")[0]

    assert b'"where":"Calle 5\\/7, M\\u00e1laga"' in body
    assert body.isascii()


def test_the_timekit_encoding_of_a_sample_is_what_php_json_encode_prints_for_it() -> None:
    # What json_encode prints with its default flags (slashes and non-ASCII escaped) for
    # ["timezone" => "Europe/Copenhagen", "name" => "Málaga", "seats" => 2,
    #  "meta" => new stdClass, "tags" => []]; written out by hand (no PHP on this machine).
    sample = {"timezone": "Europe/Copenhagen", "name": "Málaga", "seats": 2, "meta": {}, "tags": []}

    assert timekit_json(sample) == (
        b'{"timezone":"Europe\\/Copenhagen","name":"M\\u00e1laga","seats":2,"meta":{},"tags":[]}'
    )


def test_the_timekit_encoding_reads_back_as_the_same_document() -> None:
    document = {"where": "a/b\\/c", "what": "Ünïcode ☕ 🧘", "n": [1, None, True], "e": {}}

    assert json.loads(timekit_json(document)) == document


def test_the_default_format_is_unchanged() -> None:
    row = delivery("booking.cancelled_by_owner", message="Flooded/closed, sorry")

    body, headers = signed_request(row, SECRET)

    assert body == json.dumps(notification_document(row), separators=(",", ":")).encode()
    assert headers == {
        "Content-Type": "application/json",
        "X-Bookings-Signature": hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(),
    }


def test_every_format_the_setting_allows_has_a_body_and_a_header() -> None:
    assert set(FORMATS) == set(get_args(WebhookFormatName)) == {"default", "timekit"}


# The setting ---------------------------------------------------------------------------------

WEBHOOK: dict[str, Any] = {
    "webhook_url": "https://hooks.studio.example/bookings",
    "webhook_secret": SECRET,
}


@pytest.fixture
def no_bookings_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Only what a test sets counts, not the shell the suite runs in."""
    for name in list(os.environ):
        if name.upper().startswith("BOOKINGS_"):
            monkeypatch.delenv(name)
    return monkeypatch


def test_webhooks_keep_the_default_format_unless_told_otherwise(
    no_bookings_environment: pytest.MonkeyPatch,
) -> None:
    assert Settings(_env_file=None, **WEBHOOK).webhook_format == "default"


def test_bookings_webhook_format_timekit_reaches_the_webhook_channel(
    no_bookings_environment: pytest.MonkeyPatch,
) -> None:
    no_bookings_environment.setenv("BOOKINGS_WEBHOOK_FORMAT", "timekit")

    channel = build_channels(Settings(_env_file=None, **WEBHOOK))["webhook"]

    assert isinstance(channel, WebhookChannel)
    assert channel.webhook_format == "timekit"


@pytest.mark.parametrize("value", ["Timekit", "json", ""])
def test_an_unknown_webhook_format_stops_a_process_at_start_naming_the_setting(
    no_bookings_environment: pytest.MonkeyPatch, value: str
) -> None:
    no_bookings_environment.setenv("BOOKINGS_WEBHOOK_FORMAT", value)
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit, match=r"BOOKINGS_WEBHOOK_FORMAT: .*'default' or 'timekit'"):
            settings_or_exit()
    finally:
        get_settings.cache_clear()
