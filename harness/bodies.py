"""Timekit-shaped request bodies for tests, drills and benchmarks, in the seed's words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any


def in_days(days: float, *, hour: int = 8) -> datetime:
    base = datetime.now(UTC) + timedelta(days=days)
    return base.replace(hour=hour, minute=0, second=0, microsecond=0)


def class_body(
    start: datetime | None = None,
    *,
    max_seats: int = 20,
    length: timedelta = timedelta(hours=1),
    **settings: Any,
) -> dict[str, Any]:
    start = start or in_days(7)
    return {
        "graph": "group_owner",
        "settings": {"max_seats": max_seats, **settings},
        "event": {
            "start": start.isoformat(),
            "end": (start + length).isoformat(),
            "what": "Doc Brown's Friday Yoga Class",
            "where": "Sesame St, Middleburg, FL 32068, USA",
            "calendar_id": "replace-with-id",
            "description": "Please arrive 10 minutes before classes begin",
        },
    }


def series_body(
    recurrence: dict[str, Any], start: datetime | None = None, **class_options: Any
) -> dict[str, Any]:
    """A class that repeats: `recurrence` holds an rrule and its timezone, or the starts."""
    return {**class_body(start, **class_options), "recurrence": recurrence}


def seat_body(
    class_id: str, seats: int | None = None, name: str = "Marty McFly", *, waitlist: bool = False
) -> dict[str, Any]:
    """Seats in one class; with `waitlist`, a place in its line if they do not fit."""
    related: dict[str, Any] = {"owner_booking_id": class_id}
    if seats is not None:
        related["seats"] = seats
    email = name.lower().replace(" ", ".") + "@mcfly.example"
    body: dict[str, Any] = {
        "graph": "group_customer",
        "action": "create",
        "related": related,
        "customer": {"name": name, "email": email},
    }
    if waitlist:
        body["waitlist"] = True
    return body
