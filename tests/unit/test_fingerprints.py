"""What a command's key records of its request: stable when the contract gains a field."""

from __future__ import annotations

from api_client.contract.requests import GroupCustomerBooking
from worker.handlers.command import fingerprint_of

CLASS_ID = "6f2c7d1e-3b1a-4c2f-9d6e-1a2b3c4d5e6f"
SEATS = {
    "graph": "group_customer",
    "related": {"owner_booking_id": CLASS_ID},
    "customer": {"name": "Marty McFly", "email": "marty@mcfly.example"},
}


def test_a_field_left_at_its_default_is_not_part_of_the_fingerprint() -> None:
    # As a request sent before `waitlist` existed, and the same request from a newer client.
    before = GroupCustomerBooking.model_validate(SEATS)
    after = GroupCustomerBooking.model_validate({**SEATS, "waitlist": False, "action": "create"})

    assert fingerprint_of(before) == fingerprint_of(after)


def test_a_field_set_away_from_its_default_is() -> None:
    plain = GroupCustomerBooking.model_validate(SEATS)
    waiting = GroupCustomerBooking.model_validate({**SEATS, "waitlist": True})

    assert fingerprint_of(plain) != fingerprint_of(waiting)
