"""Calendar feeds as iCalendar: a calendar's classes, or a customer's confirmed seats.

What each event says, so that calendar apps that poll the feed see each change once:

- UID: the booking's (worker/calendar_events.py), the same a customer's e-mailed .ics carries
  for that seat booking, so an app that has both keeps one event.
- SEQUENCE: the booking's own log rows less one (its creation). Every change to a class or a
  seat booking writes one log row in the transaction that makes it, so the count rises with
  every change and never falls, and no handler needs to keep a counter. Seats booked or
  cancelled in a class are changes to other bookings: they change the class's description
  (and so the feed's ETag) but not its SEQUENCE, which RFC 5545 keeps for changes an attendee
  must notice (time, status); an app re-fetches on the ETag either way.
- STATUS: CANCELLED for a cancelled class, which stays in the feed so that apps remove it;
  CONFIRMED otherwise.
- Times: in the class's zone (TZID and its VTIMEZONE) when it has one (its event.timezone,
  else its series' zone), else UTC.
- DTSTAMP and LAST-MODIFIED: the booking's updated_at, so the same data renders the same bytes
  and the ETag (a digest of them) changes only when the data does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from icalendar import Calendar

from .calendar_events import EventFields, event, new_calendar
from .domain.graphs import State

# Classes that started up to this long ago are still shown: last month stays in the calendar.
DAYS_BACK = 30
# How often calendar apps are asked to poll (RFC 7986 REFRESH-INTERVAL, and Outlook's TTL).
REFRESH = timedelta(minutes=15)  # X-PUBLISHED-TTL below says the same: PT15M

Row = Mapping[Any, Any]


def sequence(changes: int) -> int:
    """SEQUENCE from a booking's number of log rows: 0 as created, one more per change."""
    return max(changes - 1, 0)


def class_description(row: Row) -> str:
    """The class's own description, then its seats."""
    seats = f"Seats: {row['current_seats']} of {row['max_seats']} booked"
    if row.get("waitlist_seats"):
        seats += f", {row['waitlist_seats']} waiting"
    return f"{row['description']}\n\n{seats}" if row.get("description") else seats


def calendar_feed(calendar_id: str, classes: Iterable[Row]) -> bytes:
    """Every class given, cancelled ones too (STATUS:CANCELLED)."""
    calendar = _feed(f"Classes: {calendar_id}")
    for row in classes:
        fields = EventFields(
            booking_id=row["id"],
            start=row["starts_at"],
            end=row["ends_at"],
            summary=row["what"],
            stamp=row["updated_at"],
            created=row["created_at"],
            modified=True,
            status="CANCELLED" if row["state"] == State.CANCELLED else "CONFIRMED",
            sequence=sequence(row["changes"]),
            location=row["where"],
            description=class_description(row),
            zone=row["timezone"],
        )
        calendar.add_component(event(fields))
    return _rendered(calendar)


def customer_feed(seats: Iterable[Row]) -> bytes:
    """One event per confirmed seat booking given, named as its e-mailed .ics names it."""
    calendar = _feed("My classes")
    for row in seats:
        mine = f"Your seats: {row['seats']}"
        fields = EventFields(
            booking_id=row["id"],
            start=row["starts_at"],
            end=row["ends_at"],
            summary=row["what"],
            stamp=row["updated_at"],
            created=row["created_at"],
            modified=True,
            sequence=sequence(row["changes"]),
            location=row["where"],
            description=f"{row['description']}\n\n{mine}" if row["description"] else mine,
            zone=row["timezone"],
        )
        calendar.add_component(event(fields))
    return _rendered(calendar)


def entity_tag(body: bytes) -> str:
    """A strong ETag of the feed's bytes (quoted, as HTTP wants it)."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _feed(name: str) -> Calendar:
    calendar = new_calendar(calscale="GREGORIAN", x_wr_calname=name)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT15M")
    return calendar


def _rendered(calendar: Calendar) -> bytes:
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
