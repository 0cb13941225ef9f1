"""Who hears of what happened to a seat booking, and which notices change a calendar."""

from __future__ import annotations

import pytest

from worker.domain.notifications import (
    CALENDAR_METHOD,
    CUSTOMER,
    OWNER,
    Notice,
    Recipient,
    notices_for,
)

DOC = Recipient(OWNER, "Doc Brown", "doc@brown.example")
MARTY = Recipient(CUSTOMER, "Marty McFly", "marty@mcfly.example")
SORRY = "The studio is flooded, sorry"


def notices(seat_action: str, message: str | None = None) -> list[Notice]:
    return notices_for(seat_action, owner=DOC, customer=MARTY, message=message)


def test_creating_tells_the_owner_it_was_created_and_the_customer_it_is_confirmed() -> None:
    assert notices("create") == [
        Notice("booking.created", DOC, None),
        Notice("booking.confirmed", MARTY, None),
    ]


def test_a_customer_cancelling_tells_only_the_owner_with_the_customers_message() -> None:
    assert notices("cancel_by_customer", SORRY) == [
        Notice("booking.cancelled_by_customer", DOC, SORRY)
    ]


def test_an_owner_cancelling_tells_only_the_customer_with_the_owners_message() -> None:
    assert notices("cancel_by_owner", SORRY) == [Notice("booking.cancelled_by_owner", MARTY, SORRY)]


@pytest.mark.parametrize("message", [None, SORRY])
def test_completing_a_seat_booking_tells_nobody(message: str | None) -> None:
    assert notices("complete", message) == []


def test_a_cancellation_without_a_message_carries_none() -> None:
    assert notices("cancel_by_owner") == [Notice("booking.cancelled_by_owner", MARTY, None)]


def test_each_recipient_keeps_the_role_it_is_told_in() -> None:
    roles = {notice.type: notice.recipient.role for notice in notices("create")}

    assert roles == {"booking.created": OWNER, "booking.confirmed": CUSTOMER}


def test_an_unknown_seat_action_gives_rise_to_no_notices_but_an_error() -> None:
    with pytest.raises(KeyError):
        notices("cancel")


def test_seats_moves_and_reminders_bring_the_class_to_the_calendar_an_owners_cancel_takes_it() -> (
    None
):
    assert dict(CALENDAR_METHOD) == {
        "booking.confirmed": "REQUEST",
        "booking.promoted": "REQUEST",
        "booking.moved": "REQUEST",
        "booking.cancelled_by_owner": "CANCEL",
        "booking.reminder": "REQUEST",
    }


@pytest.mark.parametrize("notice_type", ["booking.created", "booking.cancelled_by_customer"])
def test_notices_to_the_owner_change_no_calendar(notice_type: str) -> None:
    assert notice_type not in CALENDAR_METHOD
