"""One booking in detail (`show`, `cancel`, `move`, `set-max-seats`) and a class's waitlist."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from .cells import cell, class_zone, contact, event_info, moment, seats


def booking_detail(response: dict[str, Any]) -> RenderableType:
    """The booking's fields, then its related bookings, waitlist, logs and notifications if
    included."""
    booking = response["data"]
    zone = class_zone(booking)
    parts: list[RenderableType] = [_fields_table(booking)]
    if "related_bookings" in booking:
        parts.append(_related_table(booking["related_bookings"]))
    if "waitlist" in booking:
        parts.append(waitlist_table(booking["waitlist"], zone))
    if "logs" in booking:
        parts.append(_logs_table(booking["logs"], zone))
    if "notifications" in booking:
        parts.append(_notifications_table(booking["notifications"], zone))
    return Group(*parts)


def _fields_table(booking: dict[str, Any]) -> Table:
    table = Table(show_header=False, title=f"Booking {booking['id']}", title_justify="left")
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for label, value in _fields(booking):
        if value not in (None, "", []):
            table.add_row(label, cell(value))
    return table


def _fields(booking: dict[str, Any]) -> list[tuple[str, object]]:
    attributes = booking.get("attributes") or {}
    event = event_info(booking)
    settings = attributes.get("settings") or {}
    place = attributes.get("waitlist") or {}
    is_offer_mode = settings.get("waitlist_promotion") == "offer"
    zone = event.get("timezone")
    return [
        ("state", booking.get("state")),
        ("graph", booking.get("graph")),
        ("what", event.get("what")),
        ("where", event.get("where")),
        ("start", moment(event.get("start"), zone)),
        ("end", moment(event.get("end"), zone)),
        ("class zone", zone),
        ("calendar", event.get("calendar_id")),
        ("description", event.get("description")),
        ("seats", seats(booking)),
        ("waitlist", _waitlist_counts(attributes.get("group_booking") or {})),
        ("place in line", place.get("position")),
        ("offer expires", moment(place.get("offer_expires_at"), zone)),
        ("class", booking.get("owner_booking_id")),
        ("series", booking.get("series_id")),
        ("customer", contact(attributes.get("customer"))),
        ("owner", contact(attributes.get("owner"))),
        ("min cancel time", settings.get("min_cancel_time")),
        ("min booking time", settings.get("min_booking_time")),
        ("max booking time", settings.get("max_booking_time")),
        ("auto complete", settings.get("auto_complete")),
        ("waitlist promotion", settings.get("waitlist_promotion")),
        ("offer time", settings.get("offer_time") if is_offer_mode else None),
        ("available actions", ", ".join(booking.get("available_actions") or [])),
        ("completed", booking.get("completed")),
        ("created", moment(booking.get("created_at"), zone)),
        ("updated", moment(booking.get("updated_at"), zone)),
    ]


def _waitlist_counts(counts: dict[str, Any]) -> str:
    """'3/10 seats waiting, 2 offered' for a class with a waitlist; '' without one."""
    if not counts.get("waitlist_size"):
        return ""
    waiting = f"{counts.get('waitlist_seats', 0)}/{counts['waitlist_size']} seats waiting"
    return f"{waiting}, {counts.get('offered_seats', 0)} offered"


def _related_table(related: list[dict[str, Any]]) -> RenderableType:
    if not related:
        return Text("No related bookings.")
    table = Table(title="Related bookings", title_justify="left")
    for header in ("id", "graph", "state", "seats", "customer"):
        table.add_column(header, no_wrap=header == "id")
    for other in related:
        table.add_row(
            cell(other["id"]),
            cell(other.get("graph")),
            cell(other.get("state")),
            cell(other.get("seats")),
            cell(contact(other.get("customer"))),
        )
    return table


def _logs_table(logs: list[dict[str, Any]], zone: str | None) -> RenderableType:
    if not logs:
        return Text("No log entries.")
    table = Table(title="Log", title_justify="left")
    for header in ("at", "action", "from", "to", "message"):
        table.add_column(header, no_wrap=header == "at")
    for entry in logs:
        table.add_row(
            cell(moment(entry.get("created_at"), zone)),
            cell(entry.get("action")),
            cell(entry.get("from_state")),
            cell(entry.get("to_state")),
            cell(entry.get("message")),
        )
    return table


def _notifications_table(notifications: list[dict[str, Any]], zone: str | None) -> RenderableType:
    if not notifications:
        return Text("No notifications.")
    table = Table(title="Notifications", title_justify="left")
    for header in ("at", "type", "channel", "to", "state", "attempts", "last error"):
        table.add_column(header, no_wrap=header == "at")
    for notice in notifications:
        recipient = notice.get("recipient") or {}
        table.add_row(
            cell(moment(notice.get("created_at"), zone)),
            cell(notice.get("type")),
            cell(notice.get("channel")),
            cell(contact(recipient) or recipient.get("role")),
            cell(notice.get("state")),
            cell(notice.get("attempts")),
            cell(notice.get("last_error")),
        )
    return table


# A class's line: `waitlist` ----------------------------------------------------------------------


def waitlist_view(response: dict[str, Any]) -> RenderableType:
    """`waitlist`: the class, its seats and counts, then its waiting and offered bookings."""
    booking = response["data"]
    event = event_info(booking)
    heading = f"Waitlist of {event.get('what') or booking['id']}"
    if event.get("start"):
        heading += f", {moment(event['start'], event.get('timezone'))}"
    counts = (booking.get("attributes") or {}).get("group_booking") or {}
    summary = []
    if "max_seats" in counts:
        summary.append(f"{seats(booking)} seats taken")
    if "waitlist_size" in counts:
        summary.append(_waitlist_counts(counts) or "no waitlist")
    lines: list[RenderableType] = [Text(heading, style="bold")]
    if summary:
        lines.append(Text("; ".join(summary)))
    return Group(*lines, waitlist_table(booking.get("waitlist") or [], class_zone(booking)))


def waitlist_table(entries: list[dict[str, Any]], zone: str | None = None) -> RenderableType:
    """Waiting and offered bookings in order of arrival: a place in line, or an offer's end."""
    if not entries:
        return Text("Nobody is waiting.")
    table = Table(title="Waitlist", title_justify="left")
    for header in ("position", "customer", "seats", "state", "offer expiry", "id"):
        table.add_column(header, no_wrap=header in ("offer expiry", "id"))
    for entry in entries:
        table.add_row(
            cell(entry.get("position")),
            cell(contact(entry.get("customer"))),
            cell(entry.get("seats")),
            cell(entry.get("state")),
            cell(moment(entry.get("offer_expires_at"), zone)),
            cell(entry.get("id")),
        )
    return table
