"""The .ics a customer gets: an invitation to the class when booked, its cancellation after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from icalendar import Calendar, Event

from tests.unit.outbox_rows import END, SEAT_ID, START, WHAT, WHERE, seat_payload
from worker.channels.ics import invitation

NOW = datetime(2016, 9, 20, 12, 0, tzinfo=UTC)
STATUS_FOR = {"REQUEST": "CONFIRMED", "CANCEL": "CANCELLED"}


def parsed(booking: dict[str, Any], method: str) -> Calendar:
    return Calendar.from_ical(invitation(booking, method, now=NOW))


def the_event(calendar: Calendar) -> Event:
    (event,) = calendar.walk("VEVENT")
    assert isinstance(event, Event)
    return event


@pytest.mark.parametrize("method", sorted(STATUS_FOR))
def test_the_calendar_says_what_to_do_with_its_one_event(method: str) -> None:
    calendar = parsed(seat_payload(), method)

    assert str(calendar["METHOD"]) == method
    assert len(calendar.walk("VEVENT")) == 1


@pytest.mark.parametrize("method", sorted(STATUS_FOR))
def test_the_event_is_named_by_the_seat_booking(method: str) -> None:
    assert str(SEAT_ID) in str(the_event(parsed(seat_payload(), method))["UID"])


def test_a_cancellation_replaces_the_invitation_it_follows() -> None:
    invited = the_event(parsed(seat_payload(), "REQUEST"))
    cancelled = the_event(parsed(seat_payload("cancelled_by_owner"), "CANCEL"))

    assert cancelled["UID"] == invited["UID"]
    assert cancelled.decoded("SEQUENCE") > invited.decoded("SEQUENCE")


def test_the_event_spans_the_class_in_utc() -> None:
    event = the_event(parsed(seat_payload(), "REQUEST"))
    starts, ends = event.decoded("DTSTART"), event.decoded("DTEND")

    assert (starts, ends) == (START, END)
    assert starts.utcoffset() == ends.utcoffset() == timedelta(0)


def test_the_event_is_titled_and_placed_like_the_class() -> None:
    event = the_event(parsed(seat_payload(), "REQUEST"))

    assert str(event["SUMMARY"]) == WHAT
    assert str(event["LOCATION"]) == WHERE


def test_a_class_without_a_place_gives_an_event_without_a_location() -> None:
    assert "LOCATION" not in the_event(parsed(seat_payload(where=None), "REQUEST"))


@pytest.mark.parametrize(("method", "status"), sorted(STATUS_FOR.items()))
def test_an_invitation_is_confirmed_and_a_cancellation_is_cancelled(
    method: str, status: str
) -> None:
    assert str(the_event(parsed(seat_payload(), method))["STATUS"]) == status


def test_the_event_is_stamped_with_the_moment_given() -> None:
    assert the_event(parsed(seat_payload(), "REQUEST")).decoded("DTSTAMP") == NOW


def test_the_class_description_reaches_the_calendar() -> None:
    event = the_event(parsed(seat_payload(description="Bring a mat"), "REQUEST"))

    assert str(event["DESCRIPTION"]) == "Bring a mat"
