"""A reminder's payload, made as it is sent: its seat booking as get_booking shows it then.

The sweep stages reminders set-based, one INSERT ... SELECT per channel, so their outbox rows
start with an empty payload; the delivery that claims one fills it in, in its claim's
transaction, and a retry sends what the first attempt sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Connection

from api_client.contract.durations import format_duration

from .domain.reminders import REMINDER
from .presenter import booking_data
from .storage import reminder_queries

Delivery = Mapping[Any, Any]


def with_reminder_payloads(conn: Connection, claimed: Sequence[Delivery]) -> list[Delivery]:
    """The claimed deliveries, each reminder among them with its payload."""
    empty = [row for row in claimed if row["type"] == REMINDER and not row["payload"]]
    if not empty:
        return list(claimed)
    sent = reminder_queries.read_sent(conn, {row["booking_id"] for row in empty})
    seat_ids = {row["booking_id"] for row in empty}
    found = reminder_queries.read_bookings(conn, seat_ids | {r["class_id"] for r in sent.values()})
    moved_to = {found[seat]["owner_booking_id"] for seat in seat_ids} - set(found)
    found |= reminder_queries.read_bookings(conn, moved_to) if moved_to else {}
    payloads: dict[UUID, dict[str, Any]] = {}
    for row in empty:
        # Deleting a seat booking deletes its reminders and their deliveries with it.
        reminder, seat_booking = sent[row["notification_id"]], found[row["booking_id"]]
        # The class it was reminded of, unless the seat has moved out and that class was
        # deleted before the reminder went out: then the class it is in.
        klass = found.get(reminder["class_id"]) or found[seat_booking["owner_booking_id"]]
        payloads[row["id"]] = reminder_payload(seat_booking, klass, reminder["offset_s"])
    reminder_queries.fill_payloads(conn, payloads)
    return [
        {**row, "payload": payloads[row["id"]]} if row["id"] in payloads else row for row in claimed
    ]


def reminder_payload(
    seat_booking: Mapping[Any, Any], klass: Mapping[Any, Any], offset_s: int
) -> dict[str, Any]:
    """The seat booking with its attributes, and which of its class's reminders this is."""
    data = booking_data(seat_booking, klass=klass, include=("attributes",))
    return {**data, "reminder": {"before": format_duration(offset_s)}}
