"""Every e-mail a customer gets is right: from the class's owner, in the reader's zone, over a
verified TLS SMTP server with a login, with an invitation calendars keep right across DST."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import ics
import pytest
from icalendar import Calendar, Event

from api_client import BookingClient
from harness.bodies import class_body, seat_body
from harness.databases import fresh_database
from harness.receivers import Mailbox, self_signed_certificate, tls_smtp_server
from harness.redis_databases import redis_url
from harness.waiting import eventually
from harness.workers import running_workers

pytestmark = pytest.mark.integration

OSLO, NEW_YORK = ZoneInfo("Europe/Oslo"), ZoneInfo("America/New_York")
SENDER = "bookings@studio.example"
DOC = {"name": "Emmett Brown", "email": "doc@hill-valley.example"}
USER, PASSWORD = "studio", "p@ss word"


def next_oslo_dst_change(after: date) -> date:
    """The first day after `after` whose noon is at another UTC offset than the day before's."""
    day = after
    while True:
        noon, next_noon = (datetime.combine(d, time(12), OSLO) for d in (day, day + timedelta(1)))
        if noon.utcoffset() != next_noon.utcoffset():
            return day + timedelta(1)
        day += timedelta(1)


CHANGE = next_oslo_dst_change(datetime.now(UTC).date() + timedelta(days=2))
# A class at 18:00 in Oslo three days before the change, and one three days after.
BEFORE = datetime.combine(CHANGE - timedelta(days=3), time(18), OSLO)
AFTER = datetime.combine(CHANGE + timedelta(days=3), time(18), OSLO)


@dataclass
class Studio:
    client: BookingClient
    mailbox: Mailbox


@pytest.fixture(scope="module")
def studio(workdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    """Workers whose e-mail goes to an SMTP server that wants STARTTLS and a login, with a
    certificate they trust only through SSL_CERT_FILE."""
    cert, key = self_signed_certificate(tmp_path_factory.mktemp("tls"))
    password = PASSWORD.replace("@", "%40").replace(" ", "%20")
    with (
        tls_smtp_server(cert, key, USER, PASSWORD) as mailbox,
        fresh_database("postgresql", workdir) as database_url,
    ):
        settings = {
            "BOOKINGS_SMTP_URL": f"smtp://{USER}:{password}@{mailbox.url}?starttls=true",
            "BOOKINGS_SMTP_FROM": f"Hill Valley Studio <{SENDER}>",
            "BOOKINGS_NOTIFICATION_CHANNELS": "email",
            "SSL_CERT_FILE": str(cert),
        }
        with (
            running_workers(
                redis_url("customer-mail"), database_url, workdir, settings=settings
            ) as deployment,
            deployment.client() as client,
        ):
            yield Studio(client, mailbox)


def a_class_of_doc(client: BookingClient, start: datetime, **event: Any) -> str:
    body = class_body(start.astimezone(UTC), max_seats=1, waitlist_size=2)
    body["owner"] = DOC
    body["event"] |= event
    return str(client.create_booking(body)["data"]["id"])


def book(client: BookingClient, class_id: str, name: str, **customer: Any) -> dict[str, Any]:
    body = seat_body(class_id, name=name, waitlist=True)
    body["customer"] |= customer
    return dict(client.create_booking(body)["data"])


def mail_to(mailbox: Mailbox, name: str, subject_start: str, count: int = 1) -> EmailMessage:
    """The `count`th e-mail to `name` whose subject starts so, once it has come."""
    address = name.lower().replace(" ", ".") + "@mcfly.example"

    def found() -> list[EmailMessage]:
        mails = mailbox.to(address)
        return [mail for mail in mails if str(mail["Subject"]).startswith(subject_start)]

    return eventually(lambda: len(found()) >= count and found())[count - 1]


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert isinstance(body, EmailMessage)
    return str(body.get_content())


def ics_of(message: EmailMessage) -> bytes:
    (attachment,) = message.iter_attachments()
    data = attachment.get_payload(decode=True)
    assert isinstance(data, bytes)
    return data


def event_of(message: EmailMessage) -> Event:
    (event,) = Calendar.from_ical(ics_of(message)).walk("VEVENT")
    assert isinstance(event, Event)
    return event


def offset_label(moment: datetime) -> str:
    offset = f"{moment:%z}"
    return f"UTC{offset[:3]}:{offset[3:]}"


@pytest.fixture(scope="module")
def classes(studio: Studio) -> dict[str, str]:
    client = studio.client
    return {
        "before": a_class_of_doc(client, BEFORE, timezone="Europe/Oslo"),
        "after": a_class_of_doc(client, AFTER, timezone="Europe/Oslo"),
    }


@pytest.fixture(scope="module")
def to_marty(studio: Studio, classes: dict[str, str]) -> EmailMessage:
    """Marty's confirmation: he gave booking.js's zone, New York, and took the one seat."""
    book(studio.client, classes["before"], "Marty McFly", timezone="America/New_York")
    return mail_to(studio.mailbox, "Marty McFly", "You are booked")


def test_the_owner_organizes_the_invitation_and_the_studio_sends_it_for_them(
    to_marty: EmailMessage,
) -> None:
    organizer = event_of(to_marty)["ORGANIZER"]

    assert str(organizer) == f"mailto:{DOC['email']}"
    assert organizer.params["CN"] == DOC["name"]
    assert organizer.params["SENT-BY"] == f"mailto:{SENDER}"
    assert to_marty["From"] == f"Hill Valley Studio <{SENDER}>"


def test_the_customer_s_answers_reach_the_owner(to_marty: EmailMessage) -> None:
    # A calendar sends its accept or decline to the ORGANIZER; a reply goes to Reply-To.
    assert event_of(to_marty)["ATTENDEE"].params["RSVP"] == "TRUE"
    assert to_marty["Reply-To"] == f"{DOC['name']} <{DOC['email']}>"


def test_a_customer_in_new_york_reads_the_class_in_new_york_time(to_marty: EmailMessage) -> None:
    local = BEFORE.astimezone(NEW_YORK)

    expected = f"{local:%A %d %B %Y, %H:%M} to {local + timedelta(hours=1):%H:%M}"
    assert f"When: {expected} (America/New_York, {offset_label(local)})" in text_of(to_marty)


def test_a_customer_without_a_zone_reads_oslo_time_on_both_sides_of_its_dst_change(
    studio: Studio, classes: dict[str, str]
) -> None:
    book(studio.client, classes["after"], "Lorraine Baines")

    mail = mail_to(studio.mailbox, "Lorraine Baines", "You are booked")

    assert offset_label(AFTER) != offset_label(BEFORE)
    when = f"{AFTER:%A %d %B %Y}, 18:00 to 19:00 (Europe/Oslo, {offset_label(AFTER)})"
    assert when in text_of(mail)


def test_the_invitation_keeps_the_class_at_18_00_in_oslo_with_the_zone_s_rules(
    to_marty: EmailMessage,
) -> None:
    calendar = Calendar.from_ical(ics_of(to_marty))

    (event,) = calendar.walk("VEVENT")
    assert event["DTSTART"].params["TZID"] == "Europe/Oslo"
    assert event.decoded("DTSTART").replace(tzinfo=None) == BEFORE.replace(tzinfo=None)
    (zone,) = calendar.walk("VTIMEZONE")
    assert {part.name for part in zone.subcomponents} == {"STANDARD", "DAYLIGHT"}
    (read_by_ics,) = ics.Calendar(ics_of(to_marty).decode()).events
    assert read_by_ics.begin.datetime == BEFORE


def test_a_moved_booking_s_invitation_outranks_the_first_so_calendars_update_it(
    studio: Studio, to_marty: EmailMessage
) -> None:
    later = a_class_of_doc(studio.client, AFTER + timedelta(days=1), timezone="Europe/Oslo")

    studio.client.move(booking_id_of(to_marty), later)

    moved = mail_to(studio.mailbox, "Marty McFly", "Booking moved")
    assert event_of(moved)["UID"] == event_of(to_marty)["UID"]
    assert (event_of(to_marty)["SEQUENCE"], event_of(moved)["SEQUENCE"]) == (0, 1)


def test_a_waiting_entry_the_owner_cancels_is_told_without_a_calendar_cancel(
    studio: Studio,
) -> None:
    full = a_class_of_doc(studio.client, AFTER + timedelta(days=2))
    book(studio.client, full, "Jennifer Parker")
    waiting = book(studio.client, full, "Biff Tannen")
    assert waiting["state"] == "waitlisted"

    studio.client.cancel_by_owner(waiting["id"])

    cancelled = mail_to(studio.mailbox, "Biff Tannen", "Cancelled")
    assert list(cancelled.iter_attachments()) == []


def test_a_confirmed_seat_the_owner_cancels_gets_the_calendar_cancel_of_its_invitation(
    studio: Studio,
) -> None:
    klass = a_class_of_doc(studio.client, AFTER + timedelta(days=3))
    book(studio.client, klass, "George McFly")
    invited = mail_to(studio.mailbox, "George McFly", "You are booked")

    studio.client.cancel_by_owner(booking_id_of(invited))

    cancelled = mail_to(studio.mailbox, "George McFly", "Cancelled")
    assert str(Calendar.from_ical(ics_of(cancelled))["METHOD"]) == "CANCEL"
    assert event_of(cancelled)["UID"] == event_of(invited)["UID"]
    assert event_of(cancelled)["SEQUENCE"] == 1


def booking_id_of(invitation_mail: EmailMessage) -> str:
    """The seat booking an invitation is of: its UID is the booking's id @group-bookings."""
    return str(event_of(invitation_mail)["UID"]).split("@")[0]
