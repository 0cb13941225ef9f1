"""Everyone a change concerns hears of it: signed webhooks and e-mail, through the outbox."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from icalendar import Calendar

from api_client import BookingClient
from api_client.contract import tasks
from harness.bodies import class_body, seat_body
from harness.databases import fresh_database
from harness.processes import REPO_ROOT
from harness.receivers import Mailbox, WebhookReceiver, smtp_server, webhook_receiver
from harness.redis_databases import redis_url
from harness.waiting import eventually
from harness.workers import Deployment, running_workers, worker_env

pytestmark = pytest.mark.integration

SWEEP_WAITLISTS = "bookings.sweep_waitlists"  # the beat's task (worker/tasks/schedule.py)

DOC = {"name": "Emmett Brown", "email": "doc@hill-valley.example"}
QUICK_RETRIES = {
    "BOOKINGS_DELIVERY_RETRY_BASE_S": "0.2",
    "BOOKINGS_DELIVERY_RETRY_CAP_S": "1",
    "BOOKINGS_DELIVERY_LEASE_S": "3",
    "BOOKINGS_OUTBOX_SWEEP_EVERY_S": "1",
    "BOOKINGS_FANOUT_CHUNK": "20",
}


@dataclass
class Notifying:
    """Workers (with beat) whose notifications go to a real webhook receiver and SMTP server."""

    deployment: Deployment
    webhook: WebhookReceiver
    mailbox: Mailbox
    client: BookingClient


@contextmanager
def notifying(
    backend: str, workdir: Path, redis_user: str, extra: dict[str, str] | None = None
) -> Iterator[Notifying]:
    with (
        webhook_receiver() as webhook,
        smtp_server() as mailbox,
        fresh_database(backend, workdir) as database_url,
    ):
        settings = {
            "BOOKINGS_WEBHOOK_URL": webhook.url,
            "BOOKINGS_WEBHOOK_SECRET": webhook.secret,
            "BOOKINGS_SMTP_URL": mailbox.url,
            **QUICK_RETRIES,
            **(extra or {}),
        }
        with (
            running_workers(
                redis_url(redis_user), database_url, workdir, settings=settings, beat=True
            ) as deployment,
            deployment.client() as client,
        ):
            yield Notifying(deployment, webhook, mailbox, client)


@pytest.fixture(scope="module")
def notified(backend: str, workdir: Path) -> Iterator[Notifying]:
    with notifying(backend, workdir, "notifications") as running:
        yield running


def documents_about(webhook: WebhookReceiver, booking_id: str) -> list[dict[str, Any]]:
    return [doc for doc in webhook.documents() if doc["booking"]["id"] == booking_id]


def a_class_of_doc(client: BookingClient, max_seats: int = 20, **options: Any) -> str:
    body = class_body(max_seats=max_seats, **options)
    body["owner"] = DOC
    return str(client.create_booking(body)["data"]["id"])


def all_delivered(client: BookingClient, booking_id: str, expected: int) -> bool:
    rows = client.get_booking(booking_id, include=["notifications"])["data"]["notifications"]
    return len(rows) == expected and all(row["state"] == "delivered" for row in rows)


def test_a_new_booking_tells_the_owner_and_confirms_to_the_customer_with_an_invitation(
    notified: Notifying,
) -> None:
    client, webhook, mailbox = notified.client, notified.webhook, notified.mailbox
    class_id = a_class_of_doc(client)

    seat = client.create_booking(seat_body(class_id, 2, name="Marty McFly"))["data"]

    documents = eventually(
        lambda: (
            len(documents_about(webhook, seat["id"])) == 2 and documents_about(webhook, seat["id"])
        )
    )
    assert {(d["recipient"]["role"], d["type"]) for d in documents} == {
        ("owner", "booking.created"),
        ("customer", "booking.confirmed"),
    }
    [to_marty] = eventually(lambda: mailbox.to("marty.mcfly@mcfly.example"))
    assert to_marty["Subject"] == "You are booked: Doc Brown's Friday Yoga Class"
    assert "Seats: 2" in to_marty.get_body(("plain",)).get_content()
    [attachment] = list(to_marty.iter_attachments())
    invitation = Calendar.from_ical(attachment.get_content())
    [event] = invitation.walk("VEVENT")
    assert str(invitation["METHOD"]) == "REQUEST"
    assert str(event["SUMMARY"]) == "Doc Brown's Friday Yoga Class"
    assert event.decoded("DTSTART").isoformat() == seat_start(client, class_id)
    assert eventually(lambda: mailbox.to(DOC["email"]))
    # 2 notices: webhook, e-mail and log for each
    eventually(lambda: all_delivered(client, seat["id"], expected=6))
    assert webhook.bad_signatures == 0


def seat_start(client: BookingClient, class_id: str) -> str:
    info = client.get_booking(class_id, include=["attributes"])["data"]["attributes"]
    return str(info["event_info"]["start"])


def test_cancelling_a_class_tells_every_customer_with_the_owners_message(
    notified: Notifying,
) -> None:
    client, webhook, mailbox = notified.client, notified.webhook, notified.mailbox
    class_id = a_class_of_doc(client)
    seats = [
        client.create_booking(seat_body(class_id, 1, name=f"Customer {i}"))["data"]["id"]
        for i in range(3)
    ]
    doc_says = "Getting the DeLorean fixed that day. Doc."

    client.cancel(class_id, doc_says)

    def cancellations() -> list[dict[str, Any]]:
        return [
            doc
            for seat in seats
            for doc in documents_about(webhook, seat)
            if doc["type"] == "booking.cancelled_by_owner"
        ]

    documents = eventually(lambda: len(cancellations()) == 3 and cancellations())
    assert {d["recipient"]["role"] for d in documents} == {"customer"}
    assert {d["message"] for d in documents} == {doc_says}
    assert {d["booking"]["state"] for d in documents} == {"cancelled_by_owner"}
    emails = eventually(lambda: len(mailbox.to("customer.0@")) == 2 and mailbox.to("customer.0@"))
    cancelled_email = next(m for m in emails if m["Subject"].startswith("Cancelled"))
    assert doc_says in cancelled_email.get_body(("plain",)).get_content()
    [attachment] = list(cancelled_email.iter_attachments())
    assert str(Calendar.from_ical(attachment.get_content())["METHOD"]) == "CANCEL"


def test_a_customer_cancel_tells_the_owner_with_the_customers_message(
    notified: Notifying,
) -> None:
    client, webhook = notified.client, notified.webhook
    class_id = a_class_of_doc(client)
    seat = client.create_booking(seat_body(class_id, 1))["data"]["id"]

    client.cancel_by_customer(seat, "Double booked. Sorry, Doc!")

    def to_owner() -> list[dict[str, Any]]:
        return [
            d
            for d in documents_about(webhook, seat)
            if d["type"] == "booking.cancelled_by_customer"
        ]

    [document] = eventually(to_owner)
    assert document["recipient"] == {"role": "owner", **DOC}
    assert document["message"] == "Double booked. Sorry, Doc!"


def test_a_receiver_down_for_a_while_gets_every_notification_once_it_is_back(
    notified: Notifying,
) -> None:
    client, webhook = notified.client, notified.webhook
    class_id = a_class_of_doc(client)
    # Given a receiver answering 500
    webhook.failing = True
    seats = [
        client.create_booking(seat_body(class_id, 1, name=f"Late {i}"))["data"]["id"]
        for i in range(4)
    ]
    eventually(lambda: webhook.refused >= 4)
    # When it recovers
    webhook.failing = False
    # Then every notification arrives, and the outbox shows each delivered
    for seat in seats:
        eventually(lambda seat=seat: len({d["id"] for d in documents_about(webhook, seat)}) == 2)
        eventually(lambda seat=seat: all_delivered(client, seat, expected=6))


def test_a_worker_killed_in_the_middle_of_a_fan_out_loses_nothing(notified: Notifying) -> None:
    client, webhook, deployment = notified.client, notified.webhook, notified.deployment
    class_id = a_class_of_doc(client, max_seats=200)
    seats = [
        handle.result()["data"]["id"]
        for handle in [
            client.submit_booking(seat_body(class_id, 1, name=f"Fan {i}")) for i in range(120)
        ]
    ]
    eventually(lambda: all(len(documents_about(webhook, s)) == 2 for s in seats), timeout_s=60)

    client.cancel(class_id, "Flux capacitor trouble")
    time.sleep(0.05)
    for pid in deployment.worker_pids()[:1]:
        os.kill(pid, signal.SIGKILL)

    def cancelled_ids() -> set[str]:
        return {
            d["booking"]["id"]
            for d in webhook.documents()
            if d["type"] == "booking.cancelled_by_owner" and d["booking"]["id"] in seats
        }

    eventually(lambda: cancelled_ids() == set(seats), timeout_s=60)


def test_after_its_last_attempt_a_notification_is_kept_as_failed_and_can_be_retried(
    backend: str, workdir: Path
) -> None:
    with notifying(
        backend, workdir, "notifications-retries", {"BOOKINGS_DELIVERY_ATTEMPTS": "2"}
    ) as running:
        client, webhook = running.client, running.webhook
        class_id = a_class_of_doc(client)
        webhook.failing = True
        seat = client.create_booking(seat_body(class_id, 1))["data"]["id"]

        def webhook_states() -> list[str]:
            rows = client.get_booking(seat, include=["notifications"])["data"]["notifications"]
            return [row["state"] for row in rows if row["channel"] == "webhook"]

        eventually(lambda: webhook_states() == ["failed", "failed"])
        failed = client.get_booking(seat, include=["notifications"])["data"]["notifications"]
        assert {row["last_error"] for row in failed if row["channel"] == "webhook"} == {"HTTP 500"}

        webhook.failing = False
        assert client.retry_notifications(seat)["data"]["reopened"] == 2
        eventually(lambda: webhook_states() == ["delivered", "delivered"])
    assert len(documents_about(webhook, seat)) == 2


@pytest.mark.parametrize(
    ("setting", "value"),
    [("BOOKINGS_WEBHOOK_URL", "not a url"), ("BOOKINGS_SMTP_URL", "http://mail.example")],
)
def test_a_malformed_channel_setting_stops_the_worker_at_start_with_a_clear_error(
    setting: str, value: str
) -> None:
    env = worker_env(
        redis_url("notifications-bad-setting"),
        "sqlite:///:memory:",
        {setting: value, "BOOKINGS_WEBHOOK_SECRET": "s"},
    )
    started = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "worker", "worker", "--loglevel", "WARNING"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode != 0
    assert f"{setting}: " in started.stderr
    assert "Traceback" not in started.stderr


# The waitlist's notices ------------------------------------------------------------------


def told(webhook: WebhookReceiver, booking_id: str, notice_type: str) -> list[dict[str, Any]]:
    return [d for d in documents_about(webhook, booking_id) if d["type"] == notice_type]


def one_told(webhook: WebhookReceiver, booking_id: str, notice_type: str) -> dict[str, Any]:
    """The one webhook document of `notice_type` about the booking, once it has arrived."""
    [document] = eventually(lambda: told(webhook, booking_id, notice_type))
    return document


def mail_titled(mailbox: Mailbox, address: str, subject_start: str) -> EmailMessage:
    [message] = eventually(
        lambda: [m for m in mailbox.to(address) if m["Subject"].startswith(subject_start)]
    )
    return message


def invitation_method(message: EmailMessage) -> str:
    [attachment] = list(message.iter_attachments())
    return str(Calendar.from_ical(attachment.get_content())["METHOD"])


def a_full_class_of_doc(client: BookingClient, **settings: Any) -> tuple[str, str]:
    """A one-seat class of Doc's with a waitlist, and the booking that fills it."""
    class_id = a_class_of_doc(client, max_seats=1, waitlist_size=5, **settings)
    holder = client.create_booking(seat_body(class_id, 1, name="Marty McFly"))["data"]["id"]
    return class_id, str(holder)


def test_waiting_tells_the_customer_their_place_and_a_promotion_books_them_with_an_invitation(
    notified: Notifying,
) -> None:
    client, webhook, mailbox = notified.client, notified.webhook, notified.mailbox
    class_id, marty = a_full_class_of_doc(client)
    friend = client.create_booking(seat_body(class_id, 1, name="Jennifer Parker", waitlist=True))
    friend_id = friend["data"]["id"]

    waitlisted = one_told(webhook, friend_id, "booking.waitlisted")
    assert waitlisted["recipient"]["role"] == "customer"
    assert waitlisted["booking"]["state"] == "waitlisted"
    assert waitlisted["booking"]["attributes"]["waitlist"] == {"position": 1}
    waiting_mail = mail_titled(mailbox, "jennifer.parker@", "You are on the waitlist")
    assert "Waitlist position: 1" in waiting_mail.get_body(("plain",)).get_content()
    assert list(waiting_mail.iter_attachments()) == []

    client.cancel_by_customer(marty, "Double booked. Sorry, Doc!")

    promoted = one_told(webhook, friend_id, "booking.promoted")
    assert (promoted["recipient"]["role"], promoted["booking"]["state"]) == (
        "customer",
        "confirmed",
    )
    to_owner = one_told(webhook, friend_id, "booking.created")
    assert to_owner["recipient"] == {"role": "owner", **DOC}
    promotion_mail = mail_titled(mailbox, "jennifer.parker@", "A seat came free")
    assert invitation_method(promotion_mail) == "REQUEST"
    # waitlisted (customer), promoted (customer), created (owner): webhook, e-mail and log each
    eventually(lambda: all_delivered(client, friend_id, expected=9))


def test_an_offer_tells_the_customer_how_to_accept_and_accepting_books_them_with_an_invitation(
    notified: Notifying,
) -> None:
    client, webhook, mailbox = notified.client, notified.webhook, notified.mailbox
    class_id, marty = a_full_class_of_doc(client, waitlist_promotion="offer", offer_time="1 hour")
    friend_id = client.create_booking(
        seat_body(class_id, 1, name="Lorraine Baines", waitlist=True)
    )["data"]["id"]

    client.cancel_by_customer(marty)

    offered = one_told(webhook, friend_id, "booking.offered")
    expires = offered["booking"]["attributes"]["waitlist"]["offer_expires_at"]
    assert (offered["recipient"]["role"], offered["booking"]["state"]) == ("customer", "offered")
    assert (
        expires
        == client.get_booking(friend_id, include=["attributes"])["data"]["attributes"]["waitlist"][
            "offer_expires_at"
        ]
    )
    offer_mail = mail_titled(mailbox, "lorraine.baines@", "A seat is yours if you accept")
    text = offer_mail.get_body(("plain",)).get_content()
    deadline = datetime.fromisoformat(expires).astimezone(UTC)
    assert f"Offer open until: {deadline:%A %d %B %Y, %H:%M} (UTC)" in text
    assert f"Accept: PUT /v2/bookings/{friend_id}/accept_offer" in text
    assert f"Decline: PUT /v2/bookings/{friend_id}/decline_offer" in text
    assert told(webhook, friend_id, "booking.created") == []  # not booked yet

    client.accept_offer(friend_id)

    confirmed = one_told(webhook, friend_id, "booking.confirmed")
    assert confirmed["booking"]["state"] == "confirmed"
    assert one_told(webhook, friend_id, "booking.created")["recipient"]["role"] == "owner"
    booked_mail = mail_titled(mailbox, "lorraine.baines@", "You are booked")
    assert invitation_method(booked_mail) == "REQUEST"


def sweep_waitlists(deployment: Deployment) -> None:
    """The waitlist sweep, sent as beat sends it, run by a worker: the beat of the module's
    deployment may be gone (the fan-out test kills one of the worker's children, and beat,
    embedded with -B, is one of them). test_waitlist_sweeps.py proves the beat's own runs."""
    app = Celery(broker=deployment.redis_url, backend=deployment.redis_url, set_as_current=False)
    try:
        app.send_task(SWEEP_WAITLISTS, queue=tasks.QUEUE).get(timeout=30)
    finally:
        app.close()


def test_an_offer_nobody_accepts_expires_and_the_customer_is_told(notified: Notifying) -> None:
    client, webhook, mailbox = notified.client, notified.webhook, notified.mailbox
    class_id, marty = a_full_class_of_doc(client, waitlist_promotion="offer", offer_time="1 second")
    friend_id = client.create_booking(seat_body(class_id, 1, name="George McFly", waitlist=True))[
        "data"
    ]["id"]
    client.cancel_by_customer(marty)
    offered = client.get_booking(friend_id, include=["attributes"])["data"]["attributes"]
    expires = datetime.fromisoformat(offered["waitlist"]["offer_expires_at"])
    eventually(lambda: datetime.now(UTC) > expires, timeout_s=5)

    sweep_waitlists(notified.deployment)

    expired = one_told(webhook, friend_id, "booking.offer_expired")
    assert (expired["recipient"]["role"], expired["booking"]["state"]) == (
        "customer",
        "offer_expired",
    )
    assert mail_titled(mailbox, "george.mcfly@", "Your offer expired")


def test_a_line_that_closes_with_the_booking_window_tells_each_who_waited(
    notified: Notifying,
) -> None:
    client, webhook, mailbox = notified.client, notified.webhook, notified.mailbox
    # A class that starts in two seconds: its booking window closes then, with people waiting.
    start = datetime.now(UTC) + timedelta(seconds=2)
    body = class_body(start, max_seats=1, waitlist_size=3, auto_complete=False)
    body["owner"] = DOC
    class_id = client.create_booking(body)["data"]["id"]
    client.create_booking(seat_body(class_id, 1, name="Marty McFly"))
    friend_id = client.create_booking(seat_body(class_id, 1, name="Dave McFly", waitlist=True))[
        "data"
    ]["id"]
    eventually(lambda: datetime.now(UTC) > start, timeout_s=5)

    sweep_waitlists(notified.deployment)

    expired = one_told(webhook, friend_id, "booking.waitlist_expired")
    assert (expired["recipient"]["role"], expired["booking"]["state"]) == (
        "customer",
        "waitlist_expired",
    )
    assert mail_titled(mailbox, "dave.mcfly@", "The waitlist has closed")
    seats = client.get_booking(class_id, include=["attributes"])["data"]["attributes"]
    assert seats["group_booking"]["waitlist_seats"] == 0


def test_a_move_tells_the_customer_and_the_owners_of_both_classes(notified: Notifying) -> None:
    client, webhook, mailbox = notified.client, notified.webhook, notified.mailbox
    source = a_class_of_doc(client)
    clara = {"name": "Clara Clayton", "email": "clara@hill-valley.example"}
    target_body = class_body(max_seats=5)
    target_body["owner"] = clara
    target = client.create_booking(target_body)["data"]["id"]
    seat = client.create_booking(seat_body(source, 2, name="Marty McFly"))["data"]["id"]

    client.move(seat, target, "Same time next week")

    moved = eventually(
        lambda: (
            len(told(webhook, seat, "booking.moved")) == 3 and told(webhook, seat, "booking.moved")
        )
    )
    assert {(d["recipient"]["role"], d["recipient"]["email"]) for d in moved} == {
        ("customer", "marty.mcfly@mcfly.example"),
        ("owner", DOC["email"]),
        ("owner", clara["email"]),
    }
    assert {d["message"] for d in moved} == {"Same time next week"}
    assert {d["booking"]["owner_booking_id"] for d in moved} == {target}
    assert len({d["id"] for d in moved}) == 3
    moved_mail = mail_titled(mailbox, "marty.mcfly@", "Booking moved")
    assert invitation_method(moved_mail) == "REQUEST"
    assert mail_titled(mailbox, clara["email"], "Booking moved")


def test_a_no_show_is_told_by_webhook_and_e_mail_and_one_who_came_is_not(
    notified: Notifying,
) -> None:
    client, webhook, mailbox = notified.client, notified.webhook, notified.mailbox
    # A class of one second, starting in four, that tracks attendance: one checks in, one not
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
    body = class_body(start, max_seats=2, length=timedelta(seconds=1), track_attendance=True)
    body["owner"] = DOC
    class_id = client.create_booking(body)["data"]["id"]
    came = client.create_booking(seat_body(class_id, 1, name="Goldie Wilson"))["data"]["id"]
    missed = client.create_booking(seat_body(class_id, 1, name="Needles Douglas"))["data"]["id"]
    client.check_in(came)
    eventually(lambda: datetime.now(UTC) > start + timedelta(seconds=1), timeout_s=10)

    client.complete(class_id)

    no_show = one_told(webhook, missed, "booking.no_show")
    assert (no_show["recipient"]["role"], no_show["booking"]["state"]) == ("customer", "no_show")
    assert mail_titled(mailbox, "needles.douglas@", "We missed you")
    assert client.get_booking(came)["data"]["attended"] is True
    assert not told(webhook, came, "booking.no_show")


def test_a_late_cancel_tells_the_owner_by_webhook_and_e_mail(notified: Notifying) -> None:
    client, webhook, mailbox = notified.client, notified.webhook, notified.mailbox
    start = datetime.now(UTC) + timedelta(hours=2)  # inside its "1 day" min_cancel_time
    class_id = a_class_of_doc(client, start=start, min_cancel_time="1 day", late_cancel="allow")
    seat = client.create_booking(seat_body(class_id, 1, name="Strickland"))["data"]["id"]

    client.cancel_by_customer(seat, "Slacker!")

    late = one_told(webhook, seat, "booking.late_cancelled")
    assert late["recipient"] == {"role": "owner", **DOC}
    assert (late["booking"]["state"], late["message"]) == ("late_cancelled", "Slacker!")
    assert mail_titled(mailbox, DOC["email"], "Late cancel by the customer")
