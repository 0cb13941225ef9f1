"""A delivery that can never succeed fails once, at once, with its reason; one that may
succeed later keeps its backoff. Real receivers, a real database (issue 15)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import update

from harness.bodies import class_body, in_days, seat_body
from harness.message_checks import recipients
from harness.receivers import Mailbox, WebhookReceiver, smtp_server, webhook_receiver
from tests.support.handlers import create, get
from worker.channels import Channel
from worker.channels.email import EmailChannel
from worker.channels.webhook import WebhookChannel
from worker.delivery import DeliveryReport, RetryPolicy, deliver
from worker.handlers import HandlerDeps
from worker.storage.tables import outbox

pytestmark = pytest.mark.integration

POLICY = RetryPolicy(attempts=8, base_s=1.0, cap_s=10.0, lease_s=60.0)
SENDER = "bookings@studio.example"


@pytest.fixture(scope="module")
def webhook() -> Iterator[WebhookReceiver]:
    with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as receiver:
        yield receiver


def a_confirmation(deps: HandlerDeps, **row: Any) -> tuple[str, UUID]:
    """A new seat booking and the id of its confirmation's delivery, with `row` written over
    its outbox row as a row from before the contract's text rules might read."""
    klass = create(deps, class_body(in_days(30)))["data"]
    seat = create(deps, seat_body(klass["id"]))["data"]
    notifications = get(deps, seat["id"], "notifications")["data"]["notifications"]
    [notification] = [n for n in notifications if n["type"] == "booking.confirmed"]
    written = {"recipient_name": "Marty McFly", **row}
    with deps.unit_of_work() as uow:
        [delivery_id] = uow.connection.execute(
            update(outbox)
            .where(outbox.c.notification_id == UUID(notification["id"]))
            .values(**written)
            .returning(outbox.c.id)
        ).scalars()
        uow.commit()
    return seat["id"], delivery_id


def send(deps: HandlerDeps, delivery_id: UUID, channel: Channel) -> DeliveryReport:
    """One attempt at the delivery, over `channel` (the rows were staged on the log's)."""
    return deliver(
        [delivery_id],
        unit_of_work=deps.unit_of_work,
        channels={"log": channel},
        policy=POLICY,
        now=lambda: datetime.now(UTC),
    )


def the_confirmation(deps: HandlerDeps, seat_id: str) -> dict[str, Any]:
    notifications = get(deps, seat_id, "notifications")["data"]["notifications"]
    [notification] = [n for n in notifications if n["type"] == "booking.confirmed"]
    return dict(notification)


def failures_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "worker.delivery" and record.levelno == logging.WARNING
    ]


@pytest.mark.parametrize("status", [404, 410, 422])
def test_a_webhook_refused_for_good_fails_on_its_first_attempt_with_its_reason(
    handler_deps: HandlerDeps,
    webhook: WebhookReceiver,
    status: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    seat_id, delivery_id = a_confirmation(handler_deps)
    webhook.failing, webhook.failing_status = True, status
    try:
        report = send(handler_deps, delivery_id, WebhookChannel(webhook.url, "s3cret", timeout_s=5))
    finally:
        webhook.failing = False

    assert (report.failed, report.retrying) == (1, [])
    told = the_confirmation(handler_deps, seat_id)
    assert (told["state"], told["attempts"]) == ("failed", 1)
    assert told["last_error"] == f"permanent: HTTP {status}"
    [logged] = failures_logged(caplog)
    assert f"permanent: HTTP {status}" in logged and str(delivery_id) in logged


@pytest.mark.parametrize("status", [408, 429, 503])
def test_a_webhook_answered_later_or_too_busy_keeps_its_backoff(
    handler_deps: HandlerDeps,
    webhook: WebhookReceiver,
    status: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    seat_id, delivery_id = a_confirmation(handler_deps)
    webhook.failing, webhook.failing_status = True, status
    try:
        report = send(handler_deps, delivery_id, WebhookChannel(webhook.url, "s3cret", timeout_s=5))
    finally:
        webhook.failing = False

    assert (report.failed, report.retrying) == (0, [delivery_id])
    told = the_confirmation(handler_deps, seat_id)
    assert (told["state"], told["last_error"]) == ("pending", f"HTTP {status}")
    assert failures_logged(caplog) == []


def test_a_mailbox_refusing_the_address_for_good_fails_at_once(
    handler_deps: HandlerDeps, mailbox: Mailbox
) -> None:
    address = "gone@mcfly.example"
    seat_id, delivery_id = a_confirmation(handler_deps, recipient_email=address)
    mailbox.refusing[address] = "550 5.1.1 No such user"

    report = send(handler_deps, delivery_id, EmailChannel(mailbox.url, SENDER, timeout_s=5))

    assert report.failed == 1
    told = the_confirmation(handler_deps, seat_id)
    assert (told["state"], told["attempts"]) == ("failed", 1)
    assert told["last_error"].startswith("permanent: SMTPRecipientsRefused")


def test_a_mailbox_refusing_the_address_for_now_is_tried_again(
    handler_deps: HandlerDeps, mailbox: Mailbox
) -> None:
    address = "busy@mcfly.example"
    seat_id, delivery_id = a_confirmation(handler_deps, recipient_email=address)
    mailbox.refusing[address] = "451 4.3.0 Try again later"

    report = send(handler_deps, delivery_id, EmailChannel(mailbox.url, SENDER, timeout_s=5))

    assert report.retrying == [delivery_id]
    assert the_confirmation(handler_deps, seat_id)["state"] == "pending"


def test_an_address_that_cannot_be_written_in_a_header_fails_at_once_and_sends_nothing(
    handler_deps: HandlerDeps, mailbox: Mailbox
) -> None:
    address = "marty@mcfly.example\r\nBcc: evil@example.com"
    seat_id, delivery_id = a_confirmation(handler_deps, recipient_email=address)
    before = len(mailbox.messages)

    report = send(handler_deps, delivery_id, EmailChannel(mailbox.url, SENDER, timeout_s=5))

    assert report.failed == 1
    assert the_confirmation(handler_deps, seat_id)["last_error"].startswith(
        "permanent: cannot compose the message"
    )
    assert len(mailbox.messages) == before


def test_an_old_rows_name_with_a_header_in_it_is_mailed_to_its_customer_alone(
    handler_deps: HandlerDeps, mailbox: Mailbox
) -> None:
    address = f"marty.{uuid4().hex[:8]}@mcfly.example"
    _seat_id, delivery_id = a_confirmation(
        handler_deps, recipient_name="Marty\r\nBcc: evil@example.com", recipient_email=address
    )

    report = send(handler_deps, delivery_id, EmailChannel(mailbox.url, SENDER, timeout_s=5))

    assert report.delivered == 1
    [message] = mailbox.to(address)
    assert recipients(message) == [address]
    assert [address] in mailbox.envelope_recipients
    assert not any("evil@example.com" in sent for sent in mailbox.envelope_recipients)
