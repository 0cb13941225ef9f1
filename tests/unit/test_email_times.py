"""An e-mail gives the class's time in its reader's zone, and its .ics in the class's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import ics
from icalendar import Calendar, Event

from tests.unit.outbox_rows import class_row, delivery, seat_row
from worker.channels.email import compose
from worker.presenter import booking_data

# Oslo leaves summer time on 25 October 2026, New York on 1 November: in between, a class at
# 18:00 in Oslo is at 13:00 in New York, and a week before it was at 12:00.
BEFORE_OSLO_CHANGES = datetime(2026, 10, 20, 16, 0, tzinfo=UTC)  # 18:00 CEST
AFTER_OSLO_CHANGES = datetime(2026, 10, 27, 17, 0, tzinfo=UTC)  # 18:00 CET


def payload(
    start: datetime, *, class_zone: str | None = None, customer_zone: str | None = None
) -> dict[str, Any]:
    klass = class_row(starts_at=start, ends_at=start + timedelta(hours=1))
    klass["event_timezone"] = class_zone
    seat = seat_row(customer_timezone=customer_zone)
    return booking_data(seat, klass=klass, include=("attributes",))


def mail(notification_type: str, booking: dict[str, Any], **changes: Any) -> EmailMessage:
    return compose(delivery(notification_type, payload=booking, **changes), "s@studio.example")


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert isinstance(body, EmailMessage)
    return str(body.get_content())


def ics_of(message: EmailMessage) -> bytes:
    (attachment,) = message.iter_attachments()
    data = attachment.get_payload(decode=True)
    assert isinstance(data, bytes)
    return data


def the_event(calendar: Calendar) -> Event:
    (event,) = calendar.walk("VEVENT")
    assert isinstance(event, Event)
    return event


def test_a_customer_in_new_york_reads_the_time_in_new_york() -> None:
    booking = payload(
        AFTER_OSLO_CHANGES, class_zone="Europe/Oslo", customer_zone="America/New_York"
    )

    text = text_of(mail("booking.confirmed", booking))

    assert "When: Tuesday 27 October 2026, 13:00 to 14:00 (America/New_York, UTC-04:00)" in text


def test_a_customer_without_a_zone_reads_the_class_s_zone_on_either_side_of_its_dst_change() -> (
    None
):
    before = text_of(
        mail("booking.confirmed", payload(BEFORE_OSLO_CHANGES, class_zone="Europe/Oslo"))
    )
    after = text_of(
        mail("booking.confirmed", payload(AFTER_OSLO_CHANGES, class_zone="Europe/Oslo"))
    )

    assert "When: Tuesday 20 October 2026, 18:00 to 19:00 (Europe/Oslo, UTC+02:00)" in before
    assert "When: Tuesday 27 October 2026, 18:00 to 19:00 (Europe/Oslo, UTC+01:00)" in after


def test_the_owner_reads_the_class_s_zone_not_the_customer_s() -> None:
    booking = payload(
        AFTER_OSLO_CHANGES, class_zone="Europe/Oslo", customer_zone="America/New_York"
    )

    text = text_of(mail("booking.created", booking))

    assert "When: Tuesday 27 October 2026, 18:00 to 19:00 (Europe/Oslo, UTC+01:00)" in text


def test_a_class_and_customer_without_zones_read_in_utc_and_say_so() -> None:
    text = text_of(mail("booking.confirmed", payload(AFTER_OSLO_CHANGES)))

    assert "When: Tuesday 27 October 2026, 17:00 to 18:00 (UTC)" in text


def test_a_class_that_runs_past_midnight_names_the_day_it_ends() -> None:
    late = datetime(2026, 10, 27, 22, 30, tzinfo=UTC)  # 23:30 in Oslo

    text = text_of(mail("booking.confirmed", payload(late, class_zone="Europe/Oslo")))

    assert "When: Tuesday 27 October 2026, 23:30 to Wednesday 28 October 2026, 00:30" in text


def test_an_offer_s_deadline_is_in_the_reader_s_zone() -> None:
    booking = payload(AFTER_OSLO_CHANGES, class_zone="Europe/Oslo")
    booking["state"] = "offered"
    booking["attributes"]["waitlist"] = {"offer_expires_at": "2026-10-26T09:00:00+00:00"}

    text = text_of(mail("booking.confirmed", booking, type="booking.offered"))

    assert "Offer open until: Monday 26 October 2026, 10:00 (Europe/Oslo, UTC+01:00)" in text


def test_the_invitation_is_in_the_class_s_zone_with_its_rules_for_both_seasons() -> None:
    booking = payload(
        AFTER_OSLO_CHANGES, class_zone="Europe/Oslo", customer_zone="America/New_York"
    )

    calendar = Calendar.from_ical(ics_of(mail("booking.confirmed", booking)))

    event = the_event(calendar)
    assert event["DTSTART"].params["TZID"] == "Europe/Oslo"
    assert event.decoded("DTSTART") == AFTER_OSLO_CHANGES
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Oslo"
    assert {part.name for part in zone.subcomponents} == {"STANDARD", "DAYLIGHT"}


def test_the_zoned_invitation_reads_the_same_in_the_ics_package() -> None:
    booking = payload(BEFORE_OSLO_CHANGES, class_zone="Europe/Oslo")

    (event,) = ics.Calendar(ics_of(mail("booking.confirmed", booking)).decode()).events

    assert event.begin.datetime == BEFORE_OSLO_CHANGES
    assert event.end.datetime == BEFORE_OSLO_CHANGES + timedelta(hours=1)


def test_an_invitation_of_a_class_without_a_zone_is_in_utc() -> None:
    calendar = Calendar.from_ical(ics_of(mail("booking.confirmed", payload(AFTER_OSLO_CHANGES))))

    assert the_event(calendar).decoded("DTSTART") == AFTER_OSLO_CHANGES
    assert "TZID" not in the_event(calendar)["DTSTART"].params
    assert calendar.walk("VTIMEZONE") == []


def test_the_invitation_carries_the_sequence_its_booking_s_log_gives() -> None:
    booking = payload(AFTER_OSLO_CHANGES)
    calendar = {"sequence": 2, "invited": True}

    invitation = Calendar.from_ical(ics_of(mail("booking.confirmed", booking, calendar=calendar)))

    assert the_event(invitation)["SEQUENCE"] == 2


def test_a_cancelled_waiting_entry_never_invited_gets_no_calendar_cancel() -> None:
    booking = payload(AFTER_OSLO_CHANGES)
    booking["state"] = "cancelled_by_owner"
    never_invited = {"sequence": 1, "invited": False}

    message = mail("booking.cancelled_by_owner", booking, calendar=never_invited)

    assert list(message.iter_attachments()) == []
    assert "Cancelled" in message["Subject"]
