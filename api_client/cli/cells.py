"""Cells: fields of a response dict as short, plain table cells."""

from __future__ import annotations

import argparse
from contextvars import ContextVar
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.text import Text

# The zone `--tz` asks for: every time is shown there, whatever its class's zone.
chosen_zone: ContextVar[ZoneInfo | None] = ContextVar("chosen_zone", default=None)


def cell(value: object) -> Text:
    """A value as plain text: never read as rich markup, whatever brackets it holds."""
    if value is None:
        return Text("")
    if isinstance(value, bool):
        return Text("yes" if value else "no")
    return Text(str(value))


def moment(value: str | None, zone_name: str | None = None) -> str:
    """An RFC 3339 time as 'Fri 2030-09-06 09:00 CEST': in the zone `--tz` chose, else in
    `zone_name` (its class's event_info.timezone), else in the offset the worker gave (UTC)."""
    if not value:
        return ""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    zone = chosen_zone.get() or _zone(zone_name)
    if zone is not None and parsed.tzinfo is not None:
        parsed = parsed.astimezone(zone)
    return f"{parsed:%a %Y-%m-%d %H:%M} {parsed.tzname() or ''}".rstrip()


def zone_option(name: str) -> ZoneInfo:
    """`--tz`: an IANA zone, else a usage error."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise argparse.ArgumentTypeError(f"{name!r} is not an IANA time zone") from None


def _zone(name: str | None) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None  # a zone this machine does not know: the worker's offset, as before


def class_zone(booking: dict[str, Any]) -> str | None:
    """The zone of the booking's class, when its attributes were included and it has one."""
    return event_info(booking).get("timezone")


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
