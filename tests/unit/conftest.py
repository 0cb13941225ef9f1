"""Pure fixtures for the unit tests: the seed's request bodies, verbatim, fresh for every test."""

from __future__ import annotations

from typing import Any

import pytest

CLASS_ID = "a1ebdd9d-db42-4cd3-a915-0202a034284a"

_EVENT = {
    "start": "2016-09-30T08:00:00+00:00",
    "end": "2016-09-30T09:00:00+00:00",
    "what": "Doc Brown's Friday Yoga Class",
    "where": "Sesame St, Middleburg, FL 32068, USA",
    "calendar_id": "replace-with-id",
    "description": "Please arrive 10 minutes before classes begin",
}
_MARTY = {"name": "Marty McFly", "email": "marty@mcfly.example"}


@pytest.fixture
def owner_body() -> dict[str, Any]:
    """1. Define availability: Doc Brown's class with 20 seats."""
    return {"graph": "group_owner", "settings": {"max_seats": 20}, "event": dict(_EVENT)}


@pytest.fixture
def owner_body_with_rules() -> dict[str, Any]:
    """The same class, with the seed's cancel and booking rules."""
    return {
        "graph": "group_owner",
        "settings": {
            "max_seats": 20,
            "min_cancel_time": "1 day",
            "min_booking_time": "2 hours",
            "max_booking_time": "14 days",
        },
        "event": dict(_EVENT),
    }


@pytest.fixture
def customer_body() -> dict[str, Any]:
    """2. Sign up: Marty McFly takes one seat."""
    return {
        "graph": "group_customer",
        "related": {"owner_booking_id": CLASS_ID},
        "customer": dict(_MARTY),
    }


@pytest.fixture
def customer_body_with_two_seats() -> dict[str, Any]:
    """Marty brings a friend: two seats, with the action spelled out."""
    return {
        "graph": "group_customer",
        "action": "create",
        "related": {"owner_booking_id": CLASS_ID, "seats": 2},
        "customer": dict(_MARTY),
    }
