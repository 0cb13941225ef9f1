"""iCalendar invitations (.ics) for confirmations and cancellations (worker/calendar_events.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..calendar_events import EventFields, event, new_calendar


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
    calendar = new_calendar(method=method)
    # One UID per seat booking, so that the cancellation replaces the invitation it follows
    # (and the customer's feed, worker/feeds.py, names the same event).
    fields = EventFields(
        booking_id=booking["id"],
        start=datetime.fromisoformat(info["start"]),
        end=datetime.fromisoformat(info["end"]),
        summary=info["what"],
        stamp=now or datetime.now(UTC),
        status="CANCELLED" if method == "CANCEL" else "CONFIRMED",
        sequence=1 if method == "CANCEL" else 0,
        location=info.get("where"),
        description=info.get("description"),
        organizer=organizer,
        attendee=attendee,
    )
    calendar.add_component(event(fields))
    return bytes(calendar.to_ical())
