"""iCalendar invitations (.ics) for confirmations and cancellations, via the icalendar library."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from icalendar import Calendar, Event

PRODUCT_ID = "-//group-bookings//EN"


def invitation(booking: dict[str, Any], method: str, now: datetime | None = None) -> bytes:
    """A one-event calendar: METHOD REQUEST to add the class, CANCEL to take it away."""
    info = booking["attributes"]["event_info"]
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    # One UID per seat booking, so that the cancellation replaces the invitation it follows.
    event.add("uid", f"{booking['id']}@group-bookings")
    event.add("dtstamp", now or datetime.now(UTC))
    event.add("dtstart", datetime.fromisoformat(info["start"]))
    event.add("dtend", datetime.fromisoformat(info["end"]))
    event.add("summary", info["what"])
    if info.get("where"):
        event.add("location", info["where"])
    if info.get("description"):
        event.add("description", info["description"])
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("sequence", 1 if method == "CANCEL" else 0)
    calendar.add_component(event)
    return bytes(calendar.to_ical())
