"""iCalendar invitations (.ics) for confirmations and cancellations (worker/calendar_events.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from icalendar import Calendar

from ..calendar_events import EventFields, event, new_calendar

# The VTIMEZONE spans a year either side of the class: its DST rules for the class's date and
# the changes around it (both STANDARD and DAYLIGHT where the zone has them), and no more.
ZONE_RULES_AROUND = timedelta(days=366)


@dataclass(frozen=True)
class Parties:
    """Who an invitation is from and to. `organizer` is the class's owner, else the sender;
    `sent_by` the sender, named when it sends for an owner. Replies go to the organizer, so
    the attendee is asked for one (RSVP) only when the organizer is the owner."""

    organizer: str | None = None
    organizer_name: str | None = None
    sent_by: str | None = None
    attendee: str | None = None
    attendee_name: str | None = None
    rsvp: bool = False


def invitation(
    booking: dict[str, Any],
    method: str,
    *,
    parties: Parties = Parties(),
    sequence: int | None = None,
    now: datetime | None = None,
) -> bytes:
    """A one-event calendar: METHOD REQUEST to add the class, CANCEL to take it away.

    RFC 5546 wants an ORGANIZER and the ATTENDEE for both methods; mail clients use them to
    offer the file as an invitation rather than a plain attachment. `sequence` is the seat
    booking's (worker/feeds.py counts it the same way); without it, 0 for an invitation and
    1 for its cancellation. The times carry the class's zone (TZID and VTIMEZONE) when it has
    one, so that calendars place it right across a DST change; else they are in UTC.
    """
    info = booking["attributes"]["event_info"]
    calendar = new_calendar(method=method)
    start, end = datetime.fromisoformat(info["start"]), datetime.fromisoformat(info["end"])
    # One UID per seat booking, so that the cancellation replaces the invitation it follows
    # (and the customer's feed, worker/feeds.py, names the same event).
    fields = EventFields(
        booking_id=booking["id"],
        start=start,
        end=end,
        summary=info["what"],
        stamp=now or datetime.now(UTC),
        status="CANCELLED" if method == "CANCEL" else "CONFIRMED",
        sequence=sequence if sequence is not None else (1 if method == "CANCEL" else 0),
        location=info.get("where"),
        description=info.get("description"),
        zone=info.get("timezone"),
        organizer=parties.organizer,
        organizer_name=parties.organizer_name,
        sent_by=parties.sent_by,
        attendee=parties.attendee,
        attendee_name=parties.attendee_name,
        rsvp=parties.rsvp and method == "REQUEST",
    )
    calendar.add_component(event(fields))
    _add_zone_rules(calendar, start, end)
    return bytes(calendar.to_ical())


def _add_zone_rules(calendar: Calendar, start: datetime, end: datetime) -> None:
    first = max(start - ZONE_RULES_AROUND, datetime(1970, 1, 1, tzinfo=UTC))
    calendar.add_missing_timezones(
        first_date=first.date(), last_date=(end + ZONE_RULES_AROUND).date()
    )
