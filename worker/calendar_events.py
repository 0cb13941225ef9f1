"""iCalendar events of classes and seat bookings, shared by the e-mail .ics and the feeds.

One writer, so that an event has the same UID wherever it is seen: a customer's invitation
and their feed name a seat booking alike, and a calendar app that holds both keeps one event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from .channels.safe_text import multi_line, one_line

PRODUCT_ID = "-//group-bookings//EN"
UID_DOMAIN = "group-bookings"


def event_uid(booking_id: UUID | str) -> str:
    """The UID of the event of one booking (a class, or a customer's seat booking)."""
    return f"{booking_id}@{UID_DOMAIN}"


@dataclass(frozen=True)
class EventFields:
    """What an event says. `zone` (an IANA name) renders the times with their TZID; None
    renders them in UTC. `stamp` is DTSTAMP, and LAST-MODIFIED too when `modified` is set.
    `organizer` and `attendee` are addresses; `sent_by` is who sends on the organizer's
    behalf (RFC 5545 3.2.18), and `rsvp` asks the attendee's calendar to reply."""

    booking_id: UUID | str
    start: datetime
    end: datetime
    summary: str
    stamp: datetime
    status: str = "CONFIRMED"
    sequence: int = 0
    location: str | None = None
    description: str | None = None
    zone: str | None = None
    created: datetime | None = None
    modified: bool = False
    organizer: str | None = None
    organizer_name: str | None = None
    sent_by: str | None = None
    attendee: str | None = None
    attendee_name: str | None = None
    rsvp: bool = False


def new_calendar(**properties: Any) -> Calendar:
    """An empty calendar with our PRODID and VERSION, and `properties` beside them."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    for name, value in properties.items():
        calendar.add(name.replace("_", "-"), value)
    return calendar


def event(fields: EventFields) -> Event:
    """One VEVENT; a zoned event's calendar needs `add_missing_timezones()` before rendering."""
    fields = _printable(fields)
    zone = ZoneInfo(fields.zone) if fields.zone else UTC
    component = Event()
    component.add("uid", event_uid(fields.booking_id))
    component.add("dtstamp", fields.stamp.astimezone(UTC))
    if fields.created is not None:
        component.add("created", fields.created.astimezone(UTC))
    if fields.modified:
        component.add("last-modified", fields.stamp.astimezone(UTC))
    component.add("dtstart", fields.start.astimezone(zone))
    component.add("dtend", fields.end.astimezone(zone))
    component.add("summary", fields.summary)
    if fields.location:
        component.add("location", fields.location)
    if fields.description:
        component.add("description", fields.description)
    if fields.organizer:
        component.add("organizer", f"mailto:{fields.organizer}", parameters=_organizer(fields))
    if fields.attendee:
        component.add("attendee", f"mailto:{fields.attendee}", parameters=_attendee(fields))
    component.add("status", fields.status)
    component.add("sequence", fields.sequence)
    return component


def _organizer(fields: EventFields) -> dict[str, str]:
    parameters = {"CN": fields.organizer_name} if fields.organizer_name else {}
    if fields.sent_by and fields.sent_by != fields.organizer:
        parameters["SENT-BY"] = f"mailto:{fields.sent_by}"
    return parameters


def _attendee(fields: EventFields) -> dict[str, str]:
    parameters = {"CN": fields.attendee_name} if fields.attendee_name else {}
    if fields.rsvp:
        parameters |= {"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION", "RSVP": "TRUE"}
    return parameters


def _printable(fields: EventFields) -> EventFields:
    """The texts of `fields` as a property can hold them, whatever the row held: icalendar
    escapes backslashes, commas, semicolons and line breaks (RFC 5545, 3.3.11) and folds
    long lines, but passes other controls (a vertical tab, U+2028) through, which RFC 5545
    forbids in TEXT and a reader may take for the end of a line. Summary, location, names
    (CN) and addresses are one line; a description keeps its line breaks."""
    return replace(
        fields,
        summary=one_line(fields.summary),
        location=_kept(one_line, fields.location),
        description=_kept(multi_line, fields.description),
        organizer=_kept(one_line, fields.organizer),
        organizer_name=_kept(one_line, fields.organizer_name),
        sent_by=_kept(one_line, fields.sent_by),
        attendee=_kept(one_line, fields.attendee),
        attendee_name=_kept(one_line, fields.attendee_name),
    )


def _kept(safe: Callable[[str], str], text: str | None) -> str | None:
    return safe(text) if text else text
