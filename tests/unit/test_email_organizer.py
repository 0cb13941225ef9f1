"""The class's owner organizes the invitation its customers get, and their answers reach them."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from icalendar import Calendar, Event

from tests.unit.outbox_rows import delivery, seat_payload
from worker.channels.email import compose

SENDER = "bookings@studio.example"


def invitation_event(message: EmailMessage) -> Event:
    (attachment,) = message.iter_attachments()
    (event,) = Calendar.from_ical(attachment.get_payload(decode=True)).walk("VEVENT")
    assert isinstance(event, Event)
    return event


def confirmation(sender: str = SENDER, **class_changes: Any) -> EmailMessage:
    payload = seat_payload("confirmed", **class_changes)
    return compose(delivery("booking.confirmed", payload=payload), sender)


def test_the_owner_organizes_the_invitation_by_name_and_address() -> None:
    organizer = invitation_event(confirmation())["ORGANIZER"]

    assert str(organizer) == "mailto:doc@brown.example"
    assert organizer.params["CN"] == "Doc Brown"


def test_the_sender_is_named_as_sending_for_the_owner() -> None:
    organizer = invitation_event(confirmation())["ORGANIZER"]

    assert organizer.params["SENT-BY"] == f"mailto:{SENDER}"


def test_a_sender_with_a_display_name_is_named_by_its_address_alone() -> None:
    organizer = invitation_event(confirmation("Doc's Studio <bookings@studio.example>"))

    assert organizer["ORGANIZER"].params["SENT-BY"] == f"mailto:{SENDER}"


def test_the_customer_is_asked_to_answer_so_that_a_decline_reaches_the_owner() -> None:
    attendee = invitation_event(confirmation())["ATTENDEE"]

    assert str(attendee) == "mailto:marty@mcfly.example"
    assert attendee.params["CN"] == "Marty McFly"
    assert attendee.params["RSVP"] == "TRUE"
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"


def test_a_class_without_an_owner_is_organized_by_the_sender_as_before() -> None:
    event = invitation_event(confirmation(owner_name=None, owner_email=None))

    assert str(event["ORGANIZER"]) == f"mailto:{SENDER}"
    assert "SENT-BY" not in event["ORGANIZER"].params
    assert "RSVP" not in event["ATTENDEE"].params  # no one reads the sender's mailbox


def test_the_customers_reply_goes_to_the_owner() -> None:
    assert confirmation()["Reply-To"] == "Doc Brown <doc@brown.example>"


def test_an_e_mail_to_the_owner_does_not_reply_to_the_owner() -> None:
    assert compose(delivery("booking.created"), SENDER)["Reply-To"] is None


def test_an_e_mail_of_a_class_without_an_owner_replies_to_the_sender() -> None:
    assert confirmation(owner_name=None, owner_email=None)["Reply-To"] is None


def test_the_owner_s_name_is_one_display_name_even_with_a_comma() -> None:
    message = confirmation(owner_name="Brown, Emmett")

    assert message["Reply-To"].addresses[0].addr_spec == "doc@brown.example"
    assert invitation_event(message)["ORGANIZER"].params["CN"] == "Brown, Emmett"
