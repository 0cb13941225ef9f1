"""Odd names, titles and messages are refused with 422 and nothing written, or accepted and then
delivered whole on every channel: the webhook's JSON, an e-mail whose headers name exactly its
recipient, an .ics two parsers read alike, and one JSON log line; and a delivery that cannot
succeed fails once, loudly (issue 15)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from api_client import BookingClient
from api_client.contract.text import MULTI_LINE_FORBIDDEN, ONE_LINE_FORBIDDEN
from api_client.errors import InvalidRequestError
from harness.bodies import class_body, seat_body
from harness.databases import fresh_database
from harness.message_checks import events_read_twice, invitation_of, one_json_object, recipients
from harness.receivers import Mailbox, WebhookReceiver, smtp_server, webhook_receiver
from harness.redis_databases import redis_url
from harness.waiting import eventually
from harness.workers import Deployment, running_workers
from tests.faults.bad_input_report import database_fingerprint
from worker.config import Settings
from worker.storage.engine import engine_for

pytestmark = pytest.mark.integration

MAX_NAME, MAX_TITLE, MAX_MESSAGE = 200, 500, 2_000

# Pieces a name, title or message is strung from: punctuation that means something in a
# header or an .ics, an encoded word, a header, direction marks and invisible characters, a
# very long word, other scripts; now and then any character, or a control or a line break.
ALLOWED_PIECES = [
    *[",", ";", ":", '"', "'", "\\", "<", ">", "@", "(", ")", " "],
    *["\u200f", "\u202e", "\u200b", "\u00a0", "\u0301", "é", "山田", "\U0001f9d8"],
    *["Bcc: evil@example.com", "McFly, Marty", "x" * 120, "Doc Brown"],
]
CONTROL_PIECES = [
    *["\r\n", "\n", "\r", "\t", "\x00", "\x1b[31m", "\x7f", "\x85", "\u2028", "\u2029"],
    "\ufeff",
]
allowed = st.sampled_from(ALLOWED_PIECES)
# Any printable character (controls come from CONTROL_PIECES, a piece in seven or so).
printable = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")),
    min_size=1,
    max_size=6,
)
pieces = st.one_of(
    allowed, allowed, allowed, printable, printable, allowed, st.sampled_from(CONTROL_PIECES)
)


def texts(max_pieces: int) -> st.SearchStrategy[str]:
    return st.lists(pieces, min_size=1, max_size=max_pieces).map("".join)


ISSUE_NAME = "Marty\r\nBcc: evil@example.com"
ODD_BUT_FINE = '"McFly, Marty" \u200f\u05de\u05e8\u05d8\u05d9 <doc@hill-valley.example>'
LONG_WORD = "Yoga" + "x" * 400


@dataclass
class Receivers:
    deployment: Deployment
    client: BookingClient
    webhook: WebhookReceiver
    mailbox: Mailbox
    settings: Settings


@pytest.fixture(scope="module")
def receivers(workdir: Path) -> Iterator[Receivers]:
    """Workers sending on every channel (log, webhook, e-mail) to real receivers; PostgreSQL
    only, as what a channel sends does not depend on the database."""
    with (
        webhook_receiver() as webhook,
        smtp_server() as mailbox,
        fresh_database("postgresql", workdir) as database_url,
    ):
        channels = {
            "BOOKINGS_NOTIFICATION_CHANNELS": "log,webhook,email",
            "BOOKINGS_WEBHOOK_URL": webhook.url,
            "BOOKINGS_WEBHOOK_SECRET": webhook.secret,
            "BOOKINGS_SMTP_URL": mailbox.url,
        }
        with (
            running_workers(redis_url("odd-text"), database_url, workdir, settings=channels) as d,
            d.client() as client,
        ):
            yield Receivers(d, client, webhook, mailbox, Settings(database_url=database_url))


def accepted_as(text: str, max_chars: int, forbidden: Any, min_chars: int = 1) -> str | None:
    """The text as the contract keeps it (trimmed), or None where it must refuse it."""
    kept = text.strip()
    if len(kept) < min_chars or len(kept) > max_chars or forbidden.search(kept):
        return None
    return kept


def refused_without_a_write(receivers: Receivers, send: Any) -> None:
    engine = engine_for(receivers.settings)
    before = database_fingerprint(engine)
    with pytest.raises(InvalidRequestError) as refused:
        send()
    assert refused.value.status == 422
    assert database_fingerprint(engine) == before
    engine.dispose()


def notifications(client: BookingClient, booking_id: str) -> list[dict[str, Any]]:
    return list(client.get_booking(booking_id, include=["notifications"])["data"]["notifications"])


def all_delivered(client: BookingClient, booking_id: str, expected: int) -> bool:
    rows = notifications(client, booking_id)
    return len(rows) == expected and all(row["state"] == "delivered" for row in rows)


def webhook_document(webhook: WebhookReceiver, notification_id: str) -> dict[str, Any]:
    [document] = [doc for doc in webhook.documents() if doc["id"] == notification_id]
    return document


def log_document(deployment: Deployment, notification_id: str) -> dict[str, Any]:
    """The log channel's line of one notification, as the worker wrote it to its log."""
    needle = f'"id":"{notification_id}"'
    lines = [
        line
        for path in deployment.log_paths
        for line in path.read_text(encoding="utf-8").splitlines()
        if needle in line
    ]
    [line] = lines
    return one_json_object(line[line.index("{") :])


def same_words(read: str, sent: str) -> bool:
    """Equal but for where whitespace falls: CPython's e-mail folding of a long name or
    subject into several encoded words may move a space across a fold (the words and the
    recipients stay right; a cosmetic fault of the standard library, not an injection)."""
    return "".join(read.split()) == "".join(sent.split())


def mail_to(mailbox: Mailbox, address: str, subject_start: str) -> EmailMessage:
    return eventually(
        lambda: next(
            (m for m in mailbox.to(address) if str(m["Subject"]).startswith(subject_start)), None
        )
    )


def check_delivered_everywhere(
    receivers: Receivers, notice: dict[str, Any], name: str, email: str
) -> dict[str, Any]:
    """The webhook and log documents of `notice` name `name`; its e-mail goes to `email` alone."""
    hooked = webhook_document(receivers.webhook, notice["id"])
    logged = log_document(receivers.deployment, notice["id"])
    assert hooked["recipient"] == logged["recipient"] == {**notice["recipient"], "email": email}
    assert hooked["recipient"]["name"] == name
    return hooked


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=texts(4), title=texts(5), message=texts(8))
@example(name=ISSUE_NAME, title="Yoga", message="")
@example(name=ODD_BUT_FINE, title=LONG_WORD, message="Flooded,\r\nsorry; \u202eevil")
def test_odd_text_is_refused_whole_or_delivered_whole_on_every_channel(
    receivers: Receivers, name: str, title: str, message: str
) -> None:
    client = receivers.client
    owner_email = f"doc.{uuid.uuid4().hex[:10]}@hill-valley.example"
    customer_email = f"marty.{uuid.uuid4().hex[:10]}@mcfly.example"
    klass = class_body()
    klass["event"]["what"] = title
    klass["owner"] = {"name": name, "email": owner_email}
    kept_name = accepted_as(name, MAX_NAME, ONE_LINE_FORBIDDEN)
    kept_title = accepted_as(title, MAX_TITLE, ONE_LINE_FORBIDDEN)
    if kept_name is None or kept_title is None:
        event("the class is refused")
        refused_without_a_write(receivers, lambda: client.create_booking(klass))
        return
    class_id = client.create_booking(klass)["data"]["id"]
    seat = seat_body(class_id)
    seat["customer"] = {"name": name, "email": customer_email}
    seat_id = client.create_booking(seat)["data"]["id"]
    kept_message = accepted_as(message, MAX_MESSAGE, MULTI_LINE_FORBIDDEN, min_chars=0)
    event("the cancel's message is " + ("refused" if kept_message is None else "accepted"))
    if kept_message is None:
        refused_without_a_write(receivers, lambda: client.cancel_by_customer(seat_id, message))
    else:
        client.cancel_by_customer(seat_id, message)
    # Created (to the owner) and confirmed (to the customer), and the cancel (to the owner),
    # each on three channels.
    expected = 9 if kept_message is not None else 6
    eventually(lambda: all_delivered(client, seat_id, expected), timeout_s=60)
    by_type = {row["type"]: row for row in notifications(client, seat_id)}

    confirmed = check_delivered_everywhere(
        receivers, by_type["booking.confirmed"], kept_name, customer_email
    )
    assert confirmed["booking"]["attributes"]["event_info"]["what"] == kept_title
    check_delivered_everywhere(receivers, by_type["booking.created"], kept_name, owner_email)
    mail = mail_to(receivers.mailbox, customer_email, "You are booked: ")
    assert recipients(mail) == [customer_email]
    assert same_words(mail["To"].addresses[0].display_name, kept_name)
    assert same_words(str(mail["Subject"]), f"You are booked: {kept_title}")
    by_icalendar, by_ics = events_read_twice(invitation_of(mail))
    assert [event.summary for event in by_icalendar] == [kept_title]
    assert by_ics == by_icalendar
    owner_mail = mail_to(receivers.mailbox, owner_email, "New booking: ")
    assert recipients(owner_mail) == [owner_email]
    assert same_words(owner_mail["To"].addresses[0].display_name, kept_name)
    if kept_message is not None:
        cancelled = check_delivered_everywhere(
            receivers, by_type["booking.cancelled_by_customer"], kept_name, owner_email
        )
        assert cancelled["message"] == (kept_message or None)
        told = mail_to(receivers.mailbox, owner_email, "Booking cancelled by the customer: ")
        body = told.get_body(("plain",))
        assert body is not None
        lines = kept_message.replace("\r\n", "\n").replace("\r", "\n")
        assert lines in body.get_content().replace("\r\n", "\n")


def webhook_rows_once_failed(client: BookingClient, booking_id: str) -> list[dict[str, Any]]:
    """The booking's webhook deliveries once every one of them is failed; [] until then."""
    rows = [row for row in notifications(client, booking_id) if row["channel"] == "webhook"]
    return rows if rows and all(row["state"] == "failed" for row in rows) else []


def failures_logged(deployment: Deployment, notification_id: str) -> list[dict[str, Any]]:
    lines = [
        line
        for path in deployment.log_paths
        for line in path.read_text(encoding="utf-8").splitlines()
        if "delivery failed" in line and notification_id in line
    ]
    return [one_json_object(line[line.index("{") :]) for line in lines]


def test_a_webhook_refused_for_good_is_failed_after_one_attempt_and_logged_once(
    receivers: Receivers,
) -> None:
    client, webhook = receivers.client, receivers.webhook
    class_id = client.create_booking(class_body())["data"]["id"]
    webhook.failing, webhook.failing_status = True, 410
    try:
        seat_id = client.create_booking(seat_body(class_id))["data"]["id"]
        failed = eventually(lambda: webhook_rows_once_failed(client, seat_id))
    finally:
        webhook.failing = False

    assert {(row["attempts"], row["last_error"]) for row in failed} == {(1, "permanent: HTTP 410")}
    for row in failed:
        [logged] = failures_logged(receivers.deployment, row["id"])
        assert (logged["channel"], logged["error"]) == ("webhook", "permanent: HTTP 410")
