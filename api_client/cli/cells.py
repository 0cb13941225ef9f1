"""Cells: fields of a response dict as short, plain table cells."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text


def cell(value: object) -> Text:
    """A value as plain text: never read as rich markup, whatever brackets it holds."""
    if value is None:
        return Text("")
    if isinstance(value, bool):
        return Text("yes" if value else "no")
    return Text(str(value))


def moment(value: str | None) -> str:
    """An RFC 3339 time as 'Fri 2030-09-06 07:00 UTC', in the offset the worker gave it."""
    if not value:
        return ""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    return f"{parsed:%a %Y-%m-%d %H:%M} {parsed.tzname() or ''}".rstrip()


def event_info(booking: dict[str, Any]) -> dict[str, Any]:
    """The class's event (for a seat booking too), or {} when attributes were not included."""
    return dict((booking.get("attributes") or {}).get("event_info") or {})


def seats(booking: dict[str, Any]) -> str:
    """'taken/max' for a class, the number of seats for a seat booking."""
    counts = (booking.get("attributes") or {}).get("group_booking") or {}
    if "max_seats" in counts:
        return f"{counts['current_seats']}/{counts['max_seats']}"
    if "seats" in counts:
        return str(counts["seats"])
    return "" if booking.get("seats") is None else str(booking["seats"])


def contact(person: dict[str, Any] | None) -> str:
    if not person:
        return ""
    email = person.get("email")
    return f"{person.get('name') or ''} <{email}>".strip() if email else str(person.get("name"))
