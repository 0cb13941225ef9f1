"""Durations as the wire spells them ("2 hours", "14 days") and back to words."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api_client.contract.durations import (
    MAX_DURATION_S,
    DurationFormatError,
    format_duration,
    parse_duration_s,
)

MINUTE, HOUR, DAY, WEEK = 60, 3600, 86_400, 604_800


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30 minutes", 30 * MINUTE),
        ("2 hours", 2 * HOUR),
        ("1 day", DAY),
        ("14 days", 14 * DAY),
        ("4 weeks", 4 * WEEK),
        ("45 seconds", 45),
    ],
)
def test_a_duration_is_read_as_seconds(text: str, seconds: int) -> None:
    assert parse_duration_s(text) == seconds


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1 day", DAY), ("1 days", DAY), ("2 hour", 2 * HOUR), ("1 minute", MINUTE)],
)
def test_a_unit_may_be_singular_or_plural_whatever_the_number(text: str, seconds: int) -> None:
    assert parse_duration_s(text) == seconds


@pytest.mark.parametrize("text", ["2 HOURS", "2 Hours", "2 hOuRs"])
def test_a_unit_is_read_whatever_its_case(text: str) -> None:
    assert parse_duration_s(text) == 2 * HOUR


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1 day 12 hours", DAY + 12 * HOUR),
        ("1 day, 2 hours", DAY + 2 * HOUR),
        ("1 day and 2 hours", DAY + 2 * HOUR),
        ("1 week, 2 days and 3 hours", WEEK + 2 * DAY + 3 * HOUR),
    ],
)
def test_parts_of_a_duration_are_added_up(text: str, seconds: int) -> None:
    assert parse_duration_s(text) == seconds


def test_surrounding_whitespace_is_ignored() -> None:
    assert parse_duration_s("  2 hours \n") == 2 * HOUR


def test_a_duration_of_exactly_ten_years_is_accepted() -> None:
    assert parse_duration_s("3650 days") == MAX_DURATION_S


@pytest.mark.parametrize("text", ["3651 days", "522 weeks", "3650 days 1 second"])
def test_a_duration_over_ten_years_is_refused(text: str) -> None:
    with pytest.raises(DurationFormatError, match="at most 10 years"):
        parse_duration_s(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "soon",
        "-1 day",
        "2 fortnights",
        "1.5 hours",
        "10 years",
        "hours",
        "2",
        "1 day 12",
        "2 hoursx",
        "a day",
    ],
)
def test_an_unreadable_duration_is_refused(text: str) -> None:
    with pytest.raises(DurationFormatError):
        parse_duration_s(text)


def test_the_refusal_quotes_the_text_and_names_the_units() -> None:
    with pytest.raises(DurationFormatError) as refused:
        parse_duration_s("2 fortnights")

    assert "'2 fortnights'" in str(refused.value)
    assert "seconds, minutes, hours, days or weeks" in str(refused.value)


@pytest.mark.parametrize("value", [None, 7200])
def test_a_duration_that_is_not_text_is_refused(value: object) -> None:
    with pytest.raises(DurationFormatError):
        parse_duration_s(value)  # type: ignore[arg-type]


def test_a_duration_refusal_is_a_value_error_so_pydantic_reports_it_on_the_field() -> None:
    assert issubclass(DurationFormatError, ValueError)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (1, "1 second"),
        (90, "90 seconds"),
        (60, "1 minute"),
        (30 * MINUTE, "30 minutes"),
        (HOUR, "1 hour"),
        (2 * HOUR, "2 hours"),
        (36 * HOUR, "36 hours"),
        (DAY, "1 day"),
        (14 * DAY, "2 weeks"),
        (15 * DAY, "15 days"),
        (WEEK, "1 week"),
        (1_209_600, "2 weeks"),
        (0, "0 seconds"),
    ],
)
def test_a_duration_is_written_in_the_largest_unit_that_expresses_it_exactly(
    seconds: int, text: str
) -> None:
    assert format_duration(seconds) == text


@settings(database=None)
@given(st.integers(min_value=1, max_value=MAX_DURATION_S))
def test_a_written_duration_reads_back_as_the_same_seconds(seconds: int) -> None:
    assert parse_duration_s(format_duration(seconds)) == seconds


@settings(database=None)
@given(days=st.integers(0, 3000), hours=st.integers(0, 23), minutes=st.integers(0, 59))
def test_a_duration_in_several_parts_reads_as_their_sum(
    days: int, hours: int, minutes: int
) -> None:
    text = f"{days} days, {hours} hours and {minutes} minutes"

    assert parse_duration_s(text) == days * DAY + hours * HOUR + minutes * MINUTE
