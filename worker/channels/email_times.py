"""Times in an e-mail, in its reader's zone: the customer's when known, else the class's, else
UTC, always naming the zone (and its offset then, which the zone's name alone does not say)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..domain.notifications import CUSTOMER
from . import Delivery

UTC_ZONE = ZoneInfo("UTC")


def reader_zone(delivery: Delivery) -> ZoneInfo:
    """The customer's zone in a customer's e-mail, when they gave one (booking.js sends it);
    else the class's (event.timezone, or its series'); else UTC."""
    attributes = delivery["payload"]["attributes"]
    customer_zone = None
    if delivery["recipient_role"] == CUSTOMER:
        customer_zone = _zone(attributes.get("customer", {}).get("timezone"))
    return customer_zone or _zone(attributes["event_info"].get("timezone")) or UTC_ZONE


def when_line(delivery: Delivery) -> str:
    """When the class is, in the reader's zone: "When: Friday 30 October 2026, 18:00 to 19:00
    (Europe/Oslo, UTC+01:00)"."""
    info = delivery["payload"]["attributes"]["event_info"]
    zone = reader_zone(delivery)
    start = datetime.fromisoformat(info["start"]).astimezone(zone)
    end = datetime.fromisoformat(info["end"]).astimezone(zone)
    until = f"{end:%H:%M}" if end.date() == start.date() else _day_and_time(end)
    return f"When: {_day_and_time(start)} to {until} ({zone_label(start)})"


def local_time(delivery: Delivery, moment_text: str) -> str:
    """A moment of the booking (an offer's deadline) in the reader's zone, its zone named."""
    moment = datetime.fromisoformat(moment_text).astimezone(reader_zone(delivery))
    return f"{_day_and_time(moment)} ({zone_label(moment)})"


def zone_label(moment: datetime) -> str:
    """The zone's IANA name and the offset in force at `moment` ("UTC" for UTC)."""
    zone: Any = moment.tzinfo
    if zone.key == "UTC":
        return "UTC"
    offset = f"{moment:%z}"  # +0100
    return f"{zone.key}, UTC{offset[:3]}:{offset[3:]}"


def _day_and_time(moment: datetime) -> str:
    return f"{moment:%A %d %B %Y, %H:%M}"


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None  # checked when it was given; a zone since withdrawn reads as the next one
