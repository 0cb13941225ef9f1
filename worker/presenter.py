"""Rows to Timekit-shaped response dicts (see api_client.contract.responses)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from api_client.contract.durations import format_duration

from .domain.graphs import GRAPHS, GROUP_OWNER, State

# A database row or a dict of the same columns.
Row = Mapping[Any, Any]


def rfc3339(moment: datetime) -> str:
    return moment.isoformat()


def booking_data(
    row: Row,
    *,
    klass: Row | None = None,
    include: Collection[str] = (),
    related: Sequence[Row] = (),
    logs: Sequence[Row] = (),
    notifications: Sequence[Row] = (),
    waitlist: Sequence[Row] | None = None,
    customers: Sequence[Row] = (),
    action_links: Mapping[str, str] | None = None,
    attendance: Mapping[str, Any] | None = None,
    cancel_policy: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One booking; `klass` is the class row a seat booking belongs to (itself for a class).

    A waiting booking's row may carry its `position` in line (reads work it out); `customers`
    are the seat bookings whose customers `include=customers` lists; `action_links` the signed
    links `include=customer_action_links` shows (worker/customer_links.py)."""
    graph = GRAPHS[row["graph"]]
    data: dict[str, Any] = {
        "id": str(row["id"]),
        "state": row["state"],
        "graph": row["graph"],
        "completed": graph.is_final(row["state"]),
        "created_at": rfc3339(row["created_at"]),
        "updated_at": rfc3339(row["updated_at"]),
        "available_actions": graph.available_actions(row["state"]),
    }
    is_class = row["graph"] == GROUP_OWNER
    if is_class and row.get("series_id") is not None:
        data["series_id"] = str(row["series_id"])
    if not is_class:
        data["seats"] = row["seats"]
        data["owner_booking_id"] = str(row["owner_booking_id"])
        data |= attendance_fields(row)
    data |= _timekit_fields(row)
    if "attributes" in include:
        data["attributes"] = _attributes(row, row if is_class else klass)
    if "related_bookings" in include:
        data["related_bookings"] = [_related(other) for other in related]
    if "logs" in include:
        data["logs"] = [_log(entry) for entry in logs]
    if "notifications" in include:
        data["notifications"] = [_notification(row) for row in notifications]
    if waitlist is not None:
        data["waitlist"] = [_line_entry(entry) for entry in waitlist]
    if "customers" in include:
        data["customers"] = [_customer_entry(booking) for booking in customers]
    if "customer_action_links" in include:
        data["customer_action_links"] = dict(action_links or {})
    if attendance is not None:
        data["attendance"] = dict(attendance)
    if cancel_policy is not None:
        data["cancel_policy"] = dict(cancel_policy)
    return data


def attendance_fields(seat: Row) -> dict[str, Any]:
    """When a seat checked in, and, once its class completed, whether it attended (only where
    its class tracked attendance: a checked-in seat completes attended, a no-show did not)."""
    shown: dict[str, Any] = {}
    checked_in_at = seat.get("checked_in_at")
    if checked_in_at is not None:
        shown["checked_in_at"] = rfc3339(checked_in_at)
    if seat["state"] == State.NO_SHOW:
        shown["attended"] = False
    elif seat["state"] == State.COMPLETED and checked_in_at is not None:
        shown["attended"] = True
    return shown


def _timekit_fields(row: Row) -> dict[str, Any]:
    """resource_id, project_id and meta, each where the booking was given it."""
    names = ("resource_id", "project_id", "meta")
    return {name: row[name] for name in names if row.get(name) is not None}


def _customer(row: Row) -> dict[str, Any]:
    """A seat booking's customer as sent: contact, the optional fields given, custom fields."""
    shown = {"name": row["customer_name"], "email": row["customer_email"]}
    for field in ("phone", "voip", "timezone"):
        if row.get(f"customer_{field}") is not None:
            shown[field] = row[f"customer_{field}"]
    return (row.get("customer_fields") or {}) | shown


def _customer_entry(row: Row) -> dict[str, Any]:
    """One customer of `include=customers`, in Timekit's shape (every field, null if unknown)."""
    return {
        "name": row["customer_name"],
        "email": row["customer_email"],
        "phone": row.get("customer_phone"),
        "voip": row.get("customer_voip"),
        "timezone": row.get("customer_timezone"),
    }


def public_class_data(row: Row) -> dict[str, Any]:
    """A class as the public list shows it: event and seat counts, never customer or owner data."""
    data = booking_data(row)
    data.pop("meta", None)  # the owner's own data, not for the public
    data["resource"] = _resource(row)
    data["attributes"] = {"event_info": _event_info(row), "group_booking": _class_seats(row)}
    return data


def _resource(klass: Row) -> dict[str, Any]:
    """What booking.js reads as the class's resource: its resource_id, else its calendar; named
    after the owner, else the calendar (a name, not the owner's e-mail)."""
    resource_id = klass.get("resource_id") or klass["calendar_id"]
    return {"id": resource_id, "name": klass.get("owner_name") or klass["calendar_id"]}


def _attributes(row: Row, klass: Row | None) -> dict[str, Any]:
    assert klass is not None, "a seat booking is presented with its class"
    if row["graph"] == GROUP_OWNER:
        attributes: dict[str, Any] = {
            "event_info": _event_info(row),
            "group_booking": _class_seats(row),
            "settings": _settings(row),
        }
        if row["owner_email"] is not None:
            attributes["owner"] = {"name": row["owner_name"], "email": row["owner_email"]}
        return attributes
    attributes = {
        "event_info": _event_info(klass),
        "group_booking": {"owner_booking_id": str(klass["id"]), "seats": row["seats"]},
        "customer": _customer(row),
    }
    if klass["owner_email"] is not None:
        # The class's organizer, whom its invitations name and its customers' replies reach.
        attributes["owner"] = {"name": klass["owner_name"], "email": klass["owner_email"]}
    place = _place_in_line(row)
    if place is not None:
        attributes["waitlist"] = place
    return attributes


def _place_in_line(row: Row) -> dict[str, Any] | None:
    if row["state"] == State.WAITLISTED:
        return {"position": row.get("position")}
    if row["state"] == State.OFFERED:
        return {"offer_expires_at": rfc3339(row["offer_expires_at"])}
    return None


def _line_entry(entry: Row) -> dict[str, Any]:
    shown = {
        "id": str(entry["id"]),
        "state": entry["state"],
        "seats": entry["seats"],
        "customer": {"name": entry["customer_name"], "email": entry["customer_email"]},
        "created_at": rfc3339(entry["created_at"]),
    }
    return shown | (_place_in_line(entry) or {})


def _event_info(klass: Row) -> dict[str, Any]:
    info = {
        "start": rfc3339(klass["starts_at"]),
        "end": rfc3339(klass["ends_at"]),
        "what": klass["what"],
        "where": klass["where"],
        "calendar_id": klass["calendar_id"],
        "description": klass["description"],
    }
    if klass.get("event_timezone") is not None:
        info["timezone"] = klass["event_timezone"]
    return info


def _class_seats(klass: Row) -> dict[str, int]:
    return {
        "current_seats": klass["current_seats"],
        "max_seats": klass["max_seats"],
        "waitlist_seats": klass["waitlist_seats"],
        "offered_seats": klass["offered_seats"],
        "waitlist_size": klass["waitlist_size"],
    }


def _settings(klass: Row) -> dict[str, Any]:
    def duration(seconds: int | None) -> str | None:
        return None if seconds is None else format_duration(seconds)

    return {
        "max_seats": klass["max_seats"],
        "min_cancel_time": duration(klass["min_cancel_s"]),
        "min_booking_time": duration(klass["min_booking_s"]),
        "max_booking_time": duration(klass["max_booking_s"]),
        "auto_complete": bool(klass["auto_complete"]),
        "waitlist_size": klass["waitlist_size"],
        "waitlist_promotion": klass["waitlist_promotion"],
        "offer_time": format_duration(klass["offer_s"]),
        "track_attendance": bool(klass.get("track_attendance")),
        "late_cancel": klass.get("late_cancel") or "refuse",
        "reminders": [format_duration(s) for s in klass.get("reminder_offsets_s") or ()],
    }


def _related(other: Row) -> dict[str, Any]:
    entry = {
        "id": str(other["id"]),
        "state": other["state"],
        "graph": other["graph"],
        "completed": GRAPHS[other["graph"]].is_final(other["state"]),
        "created_at": rfc3339(other["created_at"]),
        "updated_at": rfc3339(other["updated_at"]),
    }
    if other["graph"] == GROUP_OWNER:
        entry["seats"] = other["current_seats"]
    else:
        entry["seats"] = other["seats"]
        entry["customer"] = {"name": other["customer_name"], "email": other["customer_email"]}
    return entry


def _log(entry: Row) -> dict[str, Any]:
    return {
        "action": entry["action"],
        "from_state": entry["from_state"],
        "to_state": entry["to_state"],
        "message": entry["message"],
        "created_at": rfc3339(entry["created_at"]),
        **(entry.get("details") or {}),
    }


def _notification(row: Row) -> dict[str, Any]:
    return {
        "id": str(row["notification_id"]),
        "type": row["type"],
        "channel": row["channel"],
        "recipient": {
            "role": row["recipient_role"],
            "name": row["recipient_name"],
            "email": row["recipient_email"],
        },
        "message": row["message"],
        "state": row["state"],
        "attempts": row["attempts"],
        "last_error": row["last_error"],
        "created_at": rfc3339(row["created_at"]),
        "delivered_at": None if row["delivered_at"] is None else rfc3339(row["delivered_at"]),
    }
