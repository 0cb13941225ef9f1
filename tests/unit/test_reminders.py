"""Reminders before a class: when each is due (with `now` passed in), the setting that asks
for them, and the e-mail a customer gets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from icalendar import Calendar
from pydantic import TypeAdapter

from api_client.contract import BookingBody, validate
from api_client.errors import InvalidRequestError
from tests.unit.outbox_rows import START, WHAT, class_row, delivery, seat_row
from worker.channels.email import compose
from worker.domain.reminders import (
    SETTLED_AFTER,
    ReminderWindow,
    due_reminder,
    ordered_offsets,
    reminder_windows,
)
from worker.reminder_payloads import reminder_payload

DAY_S, HOUR_S = 86_400, 3_600
CLASS_START = datetime(2030, 5, 6, 18, 0, tzinfo=UTC)
BOOKED = CLASS_START - timedelta(days=3)
windows = reminder_windows(CLASS_START, [HOUR_S, DAY_S])
BODY: TypeAdapter[Any] = TypeAdapter(BookingBody)


def due_at(now: datetime, seated_at: datetime = BOOKED) -> int | None:
    return due_reminder(windows, seated_at=seated_at, now=now)


# When each reminder is due ------------------------------------------------------------------


def test_each_reminder_opens_at_its_offset_and_lasts_until_the_next_one_or_the_start() -> None:
    assert windows == [
        ReminderWindow(DAY_S, CLASS_START - timedelta(days=1), CLASS_START - timedelta(hours=1)),
        ReminderWindow(HOUR_S, CLASS_START - timedelta(hours=1), CLASS_START),
    ]


def test_nothing_is_due_before_the_first_reminder_opens() -> None:
    assert due_at(CLASS_START - timedelta(days=1, seconds=1)) is None


def test_a_reminder_is_due_from_the_moment_it_opens() -> None:
    assert due_at(CLASS_START - timedelta(days=1)) == DAY_S
    assert due_at(CLASS_START - timedelta(hours=1)) == HOUR_S


def test_a_sweep_that_runs_late_finds_only_the_latest_reminder_due() -> None:
    assert due_at(CLASS_START - timedelta(minutes=59)) == HOUR_S


def test_no_reminder_is_due_once_the_class_has_started() -> None:
    assert due_at(CLASS_START) is None
    assert due_at(CLASS_START + timedelta(minutes=5)) is None


def test_a_seat_booked_after_a_reminder_opened_does_not_get_it_late_but_gets_the_next() -> None:
    booked_late = CLASS_START - timedelta(hours=12)

    assert due_at(CLASS_START - timedelta(hours=11), seated_at=booked_late) is None
    assert due_at(CLASS_START - timedelta(minutes=30), seated_at=booked_late) == HOUR_S


def test_a_seat_booked_at_the_very_moment_a_reminder_opens_gets_it() -> None:
    opened = CLASS_START - timedelta(days=1)

    assert due_at(opened, seated_at=opened) == DAY_S


def test_a_window_is_settled_once_every_command_before_its_opening_has_long_committed() -> None:
    [day, _hour] = windows

    assert not day.is_settled(day.opens_at + SETTLED_AFTER - timedelta(seconds=1))
    assert day.is_settled(day.opens_at + SETTLED_AFTER)


def test_a_class_keeps_its_offsets_once_each_the_earliest_reminder_first() -> None:
    assert ordered_offsets([HOUR_S, DAY_S, HOUR_S]) == [DAY_S, HOUR_S]


def test_a_class_without_reminders_has_no_windows() -> None:
    assert reminder_windows(CLASS_START, []) == []


# The class setting ----------------------------------------------------------------------------


def refusal(owner_body: dict[str, Any], reminders: Any) -> dict[str, list[str]]:
    owner_body["settings"]["reminders"] = reminders
    with pytest.raises(InvalidRequestError) as refused:
        validate(BODY, owner_body)
    assert refused.value.status == 422 and refused.value.errors is not None
    return refused.value.errors


def test_a_class_asks_for_reminders_as_durations_before_its_start(
    owner_body: dict[str, Any],
) -> None:
    owner_body["settings"]["reminders"] = ["1 day", "1 hour"]

    assert validate(BODY, owner_body).settings.reminders == ("1 day", "1 hour")


def test_a_class_without_the_setting_has_no_reminders(owner_body: dict[str, Any]) -> None:
    assert validate(BODY, owner_body).settings.reminders == ()


def test_more_than_five_reminders_are_refused(owner_body: dict[str, Any]) -> None:
    six = ["1 week", "3 days", "1 day", "12 hours", "1 hour", "30 minutes"]

    errors = refusal(owner_body, six)

    assert list(errors) == ["settings.reminders"]
    assert "at most 5" in errors["settings.reminders"][0]


def test_an_unreadable_reminder_is_refused_where_it_stands(owner_body: dict[str, Any]) -> None:
    errors = refusal(owner_body, ["1 day", "a while before"])

    assert list(errors) == ["settings.reminders.1"]
    assert "cannot read 'a while before' as a duration" in errors["settings.reminders.1"][0]


@pytest.mark.parametrize("reminders", ["1 day", [86_400], None, {"1 day": True}])
def test_reminders_that_are_not_a_list_of_durations_are_refused(
    owner_body: dict[str, Any], reminders: Any
) -> None:
    assert all(field.startswith("settings.reminders") for field in refusal(owner_body, reminders))


@pytest.mark.parametrize("reminder", ["30 seconds", "367 days"])
def test_a_reminder_under_a_minute_or_over_366_days_ahead_is_refused(
    owner_body: dict[str, Any], reminder: str
) -> None:
    assert refusal(owner_body, [reminder]) == {
        "settings.reminders": ["each must be between 1 minute and 366 days"]
    }


def test_the_same_time_named_twice_is_refused(owner_body: dict[str, Any]) -> None:
    assert refusal(owner_body, ["1 day", "24 hours"]) == {
        "settings.reminders": ["must not name the same time twice"]
    }


# The customer's e-mail ------------------------------------------------------------------------


def reminder_mail(timezone: str | None = None) -> EmailMessage:
    seat = seat_row(customer_timezone=timezone) if timezone else seat_row()
    payload = reminder_payload(seat, class_row(), HOUR_S)
    return compose(delivery("booking.confirmed", type="booking.reminder", payload=payload), "s@x")


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert isinstance(body, EmailMessage)
    return str(body.get_content())


def test_a_reminder_says_how_soon_the_class_starts() -> None:
    message = reminder_mail()

    assert message["Subject"] == f"Reminder: {WHAT}"
    assert "Your class starts in 1 hour." in text_of(message)


def test_a_reminder_gives_the_time_in_the_customers_time_zone_when_known() -> None:
    # The seed's class starts at 08:00 UTC on Friday 30 September 2016: 10:00 in Oslo.
    text = text_of(reminder_mail("Europe/Oslo"))

    assert "When: Friday 30 September 2016, 10:00 to 11:00 (Europe/Oslo, UTC+02:00)" in text


def test_a_reminder_to_a_customer_without_a_time_zone_gives_the_time_in_utc() -> None:
    text = text_of(reminder_mail())

    assert "When: Friday 30 September 2016, 08:00 to 09:00 (UTC)" in text


def test_a_reminder_carries_the_class_invitation_again() -> None:
    (attachment,) = reminder_mail().iter_attachments()
    payload = attachment.get_payload(decode=True)
    assert isinstance(payload, bytes)

    [event] = Calendar.from_ical(payload).walk("VEVENT")

    assert attachment.get_param("method") == "REQUEST"
    assert event.decoded("dtstart") == START
