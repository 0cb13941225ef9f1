"""Pure builders of the seed's class, Marty's seat booking and the outbox rows that announce it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from worker.presenter import booking_data

CLASS_ID = UUID("a1ebdd9d-db42-4cd3-a915-0202a034284a")
SEAT_ID = UUID("5b1e8a4e-0c39-4b7e-9d8a-6f3f1b2c7d10")
NOTIFICATION_ID = UUID("0e6f3c1a-9a2b-4d5e-8f70-112233445566")
DELIVERY_ID = UUID("d31fe6a2-7b4c-4e1d-a0f9-665544332211")

START = datetime(2016, 9, 30, 8, 0, tzinfo=UTC)
END = START + timedelta(hours=1)
BOOKED_AT = datetime(2016, 9, 20, 12, 0, tzinfo=UTC)

WHAT = "Doc Brown's Friday Yoga Class"
WHERE = "Sesame St, Middleburg, FL 32068, USA"

# The seat booking's state once each notification type has happened to it.
STATE_AFTER = {
    "booking.created": "confirmed",
    "booking.confirmed": "confirmed",
    "booking.cancelled_by_customer": "cancelled_by_customer",
    "booking.cancelled_by_owner": "cancelled_by_owner",
}
ROLE_TOLD = {
    "booking.created": "owner",
    "booking.confirmed": "customer",
    "booking.cancelled_by_customer": "owner",
    "booking.cancelled_by_owner": "customer",
}


def class_row(**changes: Any) -> dict[str, Any]:
    """Doc Brown's class as the bookings table holds it (the columns _create_class writes)."""
    return {
        "id": CLASS_ID,
        "graph": "group_owner",
        "state": "tentative",
        "created_at": BOOKED_AT,
        "updated_at": BOOKED_AT,
        "starts_at": START,
        "ends_at": END,
        "what": WHAT,
        "where": WHERE,
        "calendar_id": "replace-with-id",
        "description": "Please arrive 10 minutes before classes begin",
        "max_seats": 20,
        "current_seats": 2,
        "min_cancel_s": 86_400,
        "min_booking_s": None,
        "max_booking_s": None,
        "auto_complete": True,
        "owner_name": "Doc Brown",
        "owner_email": "doc@brown.example",
        **changes,
    }


def seat_row(**changes: Any) -> dict[str, Any]:
    """Marty's two seats as the bookings table holds them (the columns _book_seats writes)."""
    return {
        "id": SEAT_ID,
        "graph": "group_customer",
        "state": "confirmed",
        "created_at": BOOKED_AT,
        "updated_at": BOOKED_AT,
        "owner_booking_id": CLASS_ID,
        "seats": 2,
        "customer_name": "Marty McFly",
        "customer_email": "marty@mcfly.example",
        **changes,
    }


def seat_payload(state: str = "confirmed", **class_changes: Any) -> dict[str, Any]:
    """The payload an outbox row carries: the seat booking with its attributes, as staged."""
    return booking_data(
        seat_row(state=state), klass=class_row(**class_changes), include=("attributes",)
    )


def delivery(
    notification_type: str,
    *,
    message: str | None = None,
    payload: dict[str, Any] | None = None,
    **changes: Any,
) -> dict[str, Any]:
    """One outbox row announcing `notification_type` of Marty's seats to whoever it tells."""
    told_owner = ROLE_TOLD[notification_type] == "owner"
    return {
        "id": DELIVERY_ID,
        "notification_id": NOTIFICATION_ID,
        "channel": "email",
        "booking_id": SEAT_ID,
        "type": notification_type,
        "recipient_role": ROLE_TOLD[notification_type],
        "recipient_name": "Doc Brown" if told_owner else "Marty McFly",
        "recipient_email": "doc@brown.example" if told_owner else "marty@mcfly.example",
        "message": message,
        "payload": payload if payload is not None else seat_payload(STATE_AFTER[notification_type]),
        "state": "pending",
        "attempts": 0,
        "next_attempt_at": BOOKED_AT,
        "lease_until": None,
        "last_error": None,
        "created_at": BOOKED_AT,
        "delivered_at": None,
        **changes,
    }
