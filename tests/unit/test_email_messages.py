"""The e-mail each notice becomes, and how the SMTP URL is read (nothing is sent)."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import pytest
from icalendar import Calendar

from tests.unit.outbox_rows import NOTIFICATION_ID, WHAT, delivery, seat_payload
from worker.channels.email import SUBJECTS, EmailChannel, compose
from worker.domain.notifications import AUDIENCE

SENDER = "bookings@studio.example"
SORRY = "The studio is flooded, sorry"


def message_for(notification_type: str, **changes: Any) -> EmailMessage:
    return compose(delivery(notification_type, **changes), SENDER)


def plain_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert isinstance(body, EmailMessage)
    return str(body.get_content())


@pytest.mark.parametrize(
    ("notification_type", "subject"),
    [
        ("booking.created", f"New booking: {WHAT}"),
        ("booking.confirmed", f"You are booked: {WHAT}"),
        ("booking.cancelled_by_customer", f"Booking cancelled by the customer: {WHAT}"),
        ("booking.cancelled_by_owner", f"Cancelled: {WHAT}"),
    ],
)
def test_the_subject_says_what_happened_to_which_class(
    notification_type: str, subject: str
) -> None:
    assert message_for(notification_type)["Subject"] == subject


def test_every_notice_a_seat_action_gives_rise_to_has_a_subject_of_its_own() -> None:
    types = {notice_type for audience in AUDIENCE.values() for notice_type in audience.values()}

    assert types <= set(SUBJECTS)


def test_the_message_comes_from_the_configured_sender() -> None:
    assert message_for("booking.confirmed")["From"] == SENDER


def test_the_message_goes_to_the_recipient_by_name_and_address() -> None:
    (to,) = message_for("booking.confirmed")["To"].addresses

    assert (to.display_name, to.addr_spec) == ("Marty McFly", "marty@mcfly.example")


def test_the_owner_is_told_at_the_owners_address() -> None:
    (to,) = message_for("booking.created")["To"].addresses

    assert (to.display_name, to.addr_spec) == ("Doc Brown", "doc@brown.example")


def test_a_recipient_without_a_name_is_addressed_by_address_alone() -> None:
    (to,) = message_for("booking.created", recipient_name=None)["To"].addresses

    assert (to.display_name, to.addr_spec) == ("", "doc@brown.example")


def test_a_name_with_a_comma_is_still_one_recipient() -> None:
    message = message_for("booking.confirmed", recipient_name="McFly, Marty")

    assert [to.addr_spec for to in message["To"].addresses] == ["marty@mcfly.example"]


def test_a_class_title_with_a_line_break_still_gives_a_one_line_subject() -> None:
    payload = seat_payload(what="Friday Yoga\nBring a mat")

    subject = message_for("booking.confirmed", payload=payload)["Subject"]

    assert "\n" not in subject


def test_the_message_id_carries_the_notification_id_so_a_retry_is_the_same_message() -> None:
    message_id = message_for("booking.confirmed")["Message-ID"]

    assert str(NOTIFICATION_ID) in message_id
    assert message_id.startswith("<") and message_id.endswith(">")


def test_the_text_names_the_class_its_time_and_the_seats() -> None:
    text = plain_text(message_for("booking.confirmed"))

    assert f"Class: {WHAT}" in text
    assert "When: Friday 30 September 2016, 08:00 to 09:00 (UTC)" in text
    assert "Seats: 2" in text


def test_the_text_carries_the_message_given_with_a_cancellation() -> None:
    text = plain_text(message_for("booking.cancelled_by_owner", message=SORRY))

    assert SORRY in text


def test_a_notice_without_a_message_has_no_message_section() -> None:
    assert "Message:" not in plain_text(message_for("booking.confirmed"))


def test_the_text_names_the_booking_and_its_state_after_the_change() -> None:
    text = plain_text(message_for("booking.cancelled_by_owner"))

    assert "(cancelled_by_owner)" in text


@pytest.mark.parametrize(
    ("notification_type", "method"),
    [("booking.confirmed", "REQUEST"), ("booking.cancelled_by_owner", "CANCEL")],
)
def test_a_change_to_the_customers_calendar_comes_with_an_ics(
    notification_type: str, method: str
) -> None:
    (attachment,) = message_for(notification_type).iter_attachments()

    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == method
    assert attachment.get_filename() == "invite.ics"


def test_the_attached_ics_is_the_invitation_to_the_class() -> None:
    (attachment,) = message_for("booking.confirmed").iter_attachments()
    payload = attachment.get_payload(decode=True)
    assert isinstance(payload, bytes)

    calendar = Calendar.from_ical(payload)

    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(calendar.walk("VEVENT")[0]["SUMMARY"]) == WHAT


@pytest.mark.parametrize("notification_type", ["booking.created", "booking.cancelled_by_customer"])
def test_a_notice_to_the_owner_comes_without_an_ics(notification_type: str) -> None:
    message = message_for(notification_type)

    assert list(message.iter_attachments()) == []
    assert message.get_content_type() == "text/plain"


def test_an_smtp_url_gives_host_port_credentials_and_starttls() -> None:
    channel = EmailChannel(
        "smtp://user:p%40ss@mail.example:2525?starttls=true", "from@x", timeout_s=1
    )

    assert (channel._host, channel._port) == ("mail.example", 2525)
    assert (channel._user, channel._password) == ("user", "p@ss")
    assert channel._starttls is True
    assert channel._implicit_tls is False


def test_an_smtp_url_without_port_or_credentials_means_plain_smtp_on_25() -> None:
    channel = EmailChannel("smtp://mail.example", "from@x", timeout_s=1)

    assert channel._port == 25
    assert (channel._user, channel._password) == (None, None)
    assert channel._starttls is False


def test_an_smtps_url_means_tls_from_the_start_on_465() -> None:
    channel = EmailChannel("smtps://user:secret@mail.example", "from@x", timeout_s=1)

    assert channel._implicit_tls is True
    assert channel._port == 465


@pytest.mark.parametrize(("query", "starttls"), [("1", True), ("TRUE", True), ("false", False)])
def test_starttls_is_read_from_the_query(query: str, starttls: bool) -> None:
    channel = EmailChannel(f"smtp://mail.example:587?starttls={query}", "from@x", timeout_s=1)

    assert channel._starttls is starttls
