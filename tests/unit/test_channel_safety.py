"""Whatever a row holds (rows written before the contract refused control characters
included), no channel lets a value break out of its header, property or line (issue 15)."""

from __future__ import annotations

import json
import smtplib

import pytest

from harness.message_checks import (
    as_received,
    events_read_twice,
    invitation_of,
    one_json_object,
    recipients,
)
from tests.unit.outbox_rows import delivery, seat_payload
from worker.channels.email import compose, smtp_failure
from worker.channels.log import log_line
from worker.channels.webhook import http_failure, signed_request

INJECTED_NAME = "Marty\r\nBcc: evil@example.com"
SENDER = "bookings@studio.example"


def test_an_old_rows_name_with_a_header_in_it_mails_exactly_its_recipient() -> None:
    message = as_received(
        compose(delivery("booking.confirmed", recipient_name=INJECTED_NAME), SENDER)
    )

    assert recipients(message) == ["marty@mcfly.example"]
    assert message["Bcc"] is None
    assert message["To"].addresses[0].display_name == "Marty  Bcc: evil@example.com"


def test_an_old_rows_title_with_control_characters_gives_a_one_line_subject() -> None:
    payload = seat_payload(what="Yoga\rX-Evil: 1\x0bnow\u2028and\x85then")

    message = as_received(compose(delivery("booking.confirmed", payload=payload), SENDER))

    assert message["X-Evil"] is None
    assert str(message["Subject"]) == "You are booked: Yoga X-Evil: 1 now and then"


def test_an_old_rows_texts_are_one_property_each_in_the_ics_both_parsers_read() -> None:
    payload = seat_payload(
        what="Yoga\r\nATTENDEE:mailto:evil@example.com",
        where="Hill\x0bValley; Main St, 1",
        description="Bring a mat\r\nand water\x1b[31m",
    )
    message = compose(delivery("booking.confirmed", payload=payload), SENDER)
    data = invitation_of(as_received(message))

    by_icalendar, by_ics = events_read_twice(data)

    expected = by_icalendar[0]
    assert expected.summary == "Yoga  ATTENDEE:mailto:evil@example.com"
    assert expected.location == "Hill Valley; Main St, 1"
    assert expected.description == "Bring a mat\nand water [31m"
    assert by_ics == by_icalendar
    lines = data.replace(b"\r\n ", b"").split(b"\r\n")
    [attendee] = [line for line in lines if line.startswith(b"ATTENDEE")]
    assert attendee.endswith(b":mailto:marty@mcfly.example")


def test_the_log_line_is_one_json_object_whatever_the_name_and_message_hold() -> None:
    row = delivery(
        "booking.confirmed", recipient_name=INJECTED_NAME, message="Hi\nthere\u2028\x1b[2J"
    )

    document = one_json_object(log_line(row))

    assert document["recipient"]["name"] == INJECTED_NAME
    assert document["message"] == "Hi\nthere\u2028\x1b[2J"
    assert document["booking"] == {"id": row["payload"]["id"], "state": "confirmed"}


@pytest.mark.parametrize("webhook_format", ["default", "timekit"])
def test_a_webhook_body_carries_odd_text_as_escaped_json(webhook_format: str) -> None:
    row = delivery("booking.confirmed", recipient_name=INJECTED_NAME, message="a\u2028b\x00c")

    body, _headers = signed_request(row, "s3cret", webhook_format)  # type: ignore[arg-type]

    assert body.isascii() and b"\n" not in body
    assert json.loads(body)["recipient"]["name"] == INJECTED_NAME


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 413, 422])
def test_a_receiver_refusing_a_request_for_good_fails_it_at_once(status: int) -> None:
    failure = http_failure(status)

    assert failure.permanent
    assert failure.recorded == f"permanent: HTTP {status}"


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504, 302])
def test_a_receiver_that_may_answer_later_is_tried_again(status: int) -> None:
    failure = http_failure(status)

    assert not failure.permanent
    assert failure.recorded == f"HTTP {status}"


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (smtplib.SMTPRecipientsRefused({"marty@mcfly.example": (550, b"no such user")}), True),
        (smtplib.SMTPRecipientsRefused({"marty@mcfly.example": (451, b"try later")}), False),
        (smtplib.SMTPDataError(554, b"rejected as spam"), True),
        (smtplib.SMTPDataError(452, b"mailbox full for now"), False),
        (smtplib.SMTPSenderRefused(553, b"sender refused", SENDER), True),
        (smtplib.SMTPNotSupportedError("SMTPUTF8 not supported"), True),
        (smtplib.SMTPServerDisconnected("gone"), False),
        (TimeoutError("timed out"), False),
        (ConnectionResetError("reset"), False),
    ],
)
def test_an_smtp_refusal_is_permanent_only_when_its_reply_says_so(
    error: Exception, permanent: bool
) -> None:
    assert smtp_failure(error).permanent is permanent


def test_an_old_rows_names_are_one_line_in_the_ics_parameters_and_reply_to() -> None:
    payload = seat_payload()
    payload["attributes"]["owner"] = {"name": "Doc\r\nX-Evil: 1", "email": "doc@brown.example"}
    row = delivery("booking.confirmed", recipient_name=INJECTED_NAME, payload=payload)

    message = as_received(compose(row, SENDER))
    lines = invitation_of(message).replace(b"\r\n ", b"").split(b"\r\n")

    assert message["X-Evil"] is None
    assert [address.addr_spec for address in message["Reply-To"].addresses] == ["doc@brown.example"]
    assert not [line for line in lines if line.startswith((b"X-EVIL", b"BCC"))]
    assert any(line.startswith(b'ORGANIZER;CN="Doc  X-Evil: 1"') for line in lines)
