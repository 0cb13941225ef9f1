"""iCalendar invitations (.ics) for confirmations and cancellations, via the icalendar library."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from icalendar import Calendar, Event

PRODUCT_ID = "-//group-bookings//EN"


def invitation(
    booking: dict[str, Any],
    method: str,
    *,
    organizer: str | None = None,
    attendee: str | None = None,
    now: datetime | None = None,
) -> bytes:
    """A one-event calendar: METHOD REQUEST to add the class, CANCEL to take it away.

    RFC 5546 wants an ORGANIZER and the ATTENDEE for both methods; mail clients use them to
    offer the file as an invitation rather than a plain attachment.
    """
    info = booking["attributes"]["event_info"]
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    # One UID per seat booking, so that the cancellation replaces the invitation it follows.
    event.add("uid", f"{booking['id']}@group-bookings")
    event.add("dtstamp", now or datetime.now(UTC))
    event.add("dtstart", datetime.fromisoformat(info["start"]).astimezone(UTC))
    event.add("dtend", datetime.fromisoformat(info["end"]).astimezone(UTC))
    event.add("summary", info["what"])
    if info.get("where"):
        event.add("location", info["where"])
    if info.get("description"):
        event.add("description", info["description"])
    if organizer:
        event.add("organizer", f"mailto:{organizer}")
    if attendee:
        event.add("attendee", f"mailto:{attendee}")
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("sequence", 1 if method == "CANCEL" else 0)
    calendar.add_component(event)
    return bytes(calendar.to_ical())
