"""Row columns from the Timekit fields a body may carry: on every booking, and on its customer."""

from __future__ import annotations

from typing import Any

from api_client.contract.requests import Customer, GroupCustomerBooking, TimekitFields

from ..domain.errors import InvalidCommandError


def timekit_columns(body: TimekitFields) -> dict[str, Any]:
    """resource_id, project_id and meta, as sent (None where not)."""
    return {"resource_id": body.resource_id, "project_id": body.project_id, "meta": body.meta}


def customer_columns(customer: Customer) -> dict[str, Any]:
    """The customer's contact, zone and custom fields (None rather than an empty object)."""
    return {
        "customer_name": customer.name,
        "customer_email": customer.email,
        "customer_phone": customer.phone,
        "customer_voip": customer.voip,
        "customer_timezone": customer.timezone,
        "customer_fields": customer.custom_fields or None,
    }


def seat_booking_columns(body: GroupCustomerBooking) -> dict[str, Any]:
    """What a seat booking stores of its body beside its class, seats and state."""
    return {**timekit_columns(body), **customer_columns(body.customer)}


def check_event_matches(body: GroupCustomerBooking, klass: Any) -> None:
    """booking.js repeats the class's start and end; a different one is a different class.

    Compared as instants: booking.js writes them in the visitor's zone."""
    given = {"start": (body.start, klass["starts_at"]), "end": (body.end, klass["ends_at"])}
    errors = {
        field: [f"must be the class's {field} ({actual.isoformat()}) if given"]
        for field, (sent, actual) in given.items()
        if sent is not None and sent != actual
    }
    if errors:
        raise InvalidCommandError(errors)
