"""Expanding a recurring class into its occurrences: local wall times, daylight saving, limits."""

from __future__ import annotations

import time as clock
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from worker.domain.errors import DomainError
from worker.domain.recurrence import (
    MAX_OCCURRENCES,
    DuplicateStartError,
    InvalidRuleError,
    NoOccurrencesError,
    Occurrence,
    RecurrenceError,
    TooManyOccurrencesError,
    UnboundedRuleError,
    UnknownTimeZoneError,
    expand_rule,
    explicit_starts,
)

OSLO = ZoneInfo("Europe/Oslo")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = timedelta(hours=1)
# The seed's class: Friday 30 September 2016, 08:00 UTC, which is 10:00 in Oslo (summer time).
SEED_START = datetime(2016, 9, 30, 8, 0, tzinfo=UTC)


def local(zone: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """An aware local time; the tests only build wall times that exist and are unambiguous."""
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def seed_series(rule: str, exdates: Sequence[date | datetime] = ()) -> list[Occurrence]:
    """The seed's Friday class in Oslo, repeated by `rule`."""
    return expand_rule(
        rule, first_start=SEED_START, length=HOUR, timezone="Europe/Oslo", exdates=exdates
    )


def starts_of(occurrences: list[Occurrence]) -> list[datetime]:
    return [occurrence.start for occurrence in occurrences]


def local_days(occurrences: list[Occurrence], zone: ZoneInfo = OSLO) -> list[date]:
    return [occurrence.start.astimezone(zone).date() for occurrence in occurrences]


# Daylight saving: the wall time holds, the UTC time moves -------------------------------------


@pytest.mark.parametrize(
    ("zone", "first_local", "utc_hours"),
    [
        # Oslo springs forward on Sunday 31 March 2024: 09:00 is 08:00 UTC, then 07:00 UTC.
        (OSLO, (2024, 3, 22, 9, 0), [8, 8, 7, 7]),
        # Oslo falls back on Sunday 27 October 2024: 09:00 is 07:00 UTC, then 08:00 UTC.
        (OSLO, (2024, 10, 18, 9, 0), [7, 7, 8, 8]),
        # New York springs forward on Sunday 10 March 2024: 09:00 is 14:00 UTC, then 13:00 UTC.
        (NEW_YORK, (2024, 3, 1, 9, 0), [14, 14, 13, 13]),
        # New York falls back on Sunday 3 November 2024: 09:00 is 13:00 UTC, then 14:00 UTC.
        (NEW_YORK, (2024, 10, 25, 9, 0), [13, 13, 14, 14]),
    ],
    ids=["oslo-spring", "oslo-autumn", "new-york-spring", "new-york-autumn"],
)
def test_a_weekly_class_keeps_its_local_time_and_its_utc_hour_moves_across_daylight_saving(
    zone: ZoneInfo, first_local: tuple[int, int, int, int, int], utc_hours: list[int]
) -> None:
    first_start = local(zone, *first_local)

    series = expand_rule(
        "FREQ=WEEKLY;BYDAY=FR;COUNT=4", first_start=first_start, length=HOUR, timezone=zone.key
    )

    assert [o.start.astimezone(zone).time() for o in series] == [time(9, 0)] * 4
    assert [o.start.astimezone(zone).weekday() for o in series] == [4] * 4
    assert [o.start.hour for o in series] == utc_hours
    assert all(o.start.tzinfo is UTC for o in series)


def test_the_same_rule_moves_in_utc_on_each_zones_own_day() -> None:
    # Between 10 and 31 March 2024 New York has changed its clocks and Oslo has not.
    in_oslo = expand_rule(
        "FREQ=WEEKLY;COUNT=4",
        first_start=local(OSLO, 2024, 3, 4, 9, 0),
        length=HOUR,
        timezone="Europe/Oslo",
    )
    in_new_york = expand_rule(
        "FREQ=WEEKLY;COUNT=4",
        first_start=local(NEW_YORK, 2024, 3, 4, 9, 0),
        length=HOUR,
        timezone="America/New_York",
    )

    assert [o.start.hour for o in in_oslo] == [8, 8, 8, 8]
    assert [o.start.hour for o in in_new_york] == [14, 13, 13, 13]


def test_every_occurrence_lasts_as_long_as_the_first_even_across_daylight_saving() -> None:
    series = expand_rule(
        "FREQ=WEEKLY;COUNT=3",
        first_start=local(OSLO, 2024, 3, 24, 23, 30),
        length=timedelta(hours=2),
        timezone="Europe/Oslo",
    )

    assert [o.end - o.start for o in series] == [timedelta(hours=2)] * 3


@pytest.mark.parametrize(
    ("zone", "day_before", "gap_day", "day_after"),
    [
        (OSLO, utc(2024, 3, 30, 1, 30), utc(2024, 3, 31, 1, 30), utc(2024, 4, 1, 0, 30)),
        (NEW_YORK, utc(2024, 3, 9, 7, 30), utc(2024, 3, 10, 7, 30), utc(2024, 3, 11, 6, 30)),
    ],
    ids=["oslo", "new-york"],
)
def test_a_class_at_a_local_time_that_does_not_exist_moves_forward_by_the_gap(
    zone: ZoneInfo, day_before: datetime, gap_day: datetime, day_after: datetime
) -> None:
    # 02:30 does not exist when clocks jump from 02:00 to 03:00; that day's class is at 03:30.
    series = expand_rule(
        "FREQ=DAILY;COUNT=3", first_start=day_before, length=HOUR, timezone=zone.key
    )

    assert starts_of(series) == [day_before, gap_day, day_after]
    assert [o.start.astimezone(zone).time() for o in series] == [
        time(2, 30),
        time(3, 30),
        time(2, 30),
    ]


def test_a_class_at_a_local_time_that_happens_twice_takes_the_first() -> None:
    # Oslo's 02:30 happens twice on 27 October 2024; the class keeps summer time, 00:30 UTC.
    series = expand_rule(
        "FREQ=DAILY;COUNT=3",
        first_start=local(OSLO, 2024, 10, 26, 2, 30),
        length=HOUR,
        timezone="Europe/Oslo",
    )

    assert starts_of(series) == [
        utc(2024, 10, 26, 0, 30),
        utc(2024, 10, 27, 0, 30),
        utc(2024, 10, 28, 1, 30),
    ]


def test_the_first_occurrence_is_exactly_the_events_start_even_in_the_repeated_hour() -> None:
    second_0230 = utc(2024, 10, 27, 1, 30)  # 02:30 winter time, the second of the two

    series = expand_rule(
        "FREQ=DAILY;COUNT=2", first_start=second_0230, length=HOUR, timezone="Europe/Oslo"
    )

    assert starts_of(series) == [second_0230, utc(2024, 10, 28, 1, 30)]


# COUNT and UNTIL --------------------------------------------------------------------------------


def test_the_seeds_weekly_class_with_count_ten_gives_ten_fridays() -> None:
    series = seed_series("FREQ=WEEKLY;BYDAY=FR;COUNT=10")

    assert len(series) == 10
    assert series[0] == Occurrence(SEED_START, SEED_START + HOUR)
    assert local_days(series)[-1] == date(2016, 12, 2)
    assert series[-1].start == utc(2016, 12, 2, 9, 0)  # 10:00 in Oslo, now winter time


def test_a_rule_may_start_with_rrule_and_be_written_in_lower_case() -> None:
    assert len(seed_series("rrule:freq=weekly;byday=fr;count=3")) == 3


def test_a_local_until_is_compared_with_local_wall_times_and_is_inclusive() -> None:
    assert local_days(seed_series("FREQ=WEEKLY;UNTIL=20161028T100000"))[-1] == date(2016, 10, 28)
    assert local_days(seed_series("FREQ=WEEKLY;UNTIL=20161028T095959"))[-1] == date(2016, 10, 21)


def test_an_until_ending_in_z_is_an_instant_in_utc() -> None:
    # 09:00 UTC is 11:00 in Oslo, after that day's 10:00 class; 09:00 local would be before it.
    assert local_days(seed_series("FREQ=WEEKLY;UNTIL=20161028T090000Z"))[-1] == date(2016, 10, 28)
    assert local_days(seed_series("FREQ=WEEKLY;UNTIL=20161028T090000"))[-1] == date(2016, 10, 21)
    assert local_days(seed_series("FREQ=WEEKLY;UNTIL=20161028T075959Z"))[-1] == date(2016, 10, 21)


def test_an_until_that_is_a_date_includes_the_whole_local_day() -> None:
    assert local_days(seed_series("FREQ=WEEKLY;UNTIL=20161028"))[-1] == date(2016, 10, 28)


def test_an_until_before_the_first_class_leaves_nothing() -> None:
    with pytest.raises(NoOccurrencesError):
        seed_series("FREQ=WEEKLY;UNTIL=20160101T000000Z")


@pytest.mark.parametrize("until", ["2016", "20161399", "20161028T1000", "20161028T100000+0100"])
def test_a_malformed_until_is_refused(until: str) -> None:
    with pytest.raises(InvalidRuleError, match="UNTIL="):
        seed_series(f"FREQ=WEEKLY;UNTIL={until}")


def test_count_and_until_together_are_refused() -> None:
    with pytest.raises(InvalidRuleError, match="COUNT and UNTIL cannot both be given"):
        seed_series("FREQ=WEEKLY;COUNT=3;UNTIL=20161231")


def test_a_rule_without_count_or_until_is_refused_as_unbounded() -> None:
    with pytest.raises(UnboundedRuleError, match="give COUNT or UNTIL"):
        seed_series("FREQ=WEEKLY;BYDAY=FR")


@pytest.mark.parametrize("rule", ["FREQ=WEEKLY;COUNT=0", "FREQ=WEEKLY;INTERVAL=0;COUNT=3"])
def test_a_count_or_interval_below_one_is_refused(rule: str) -> None:
    with pytest.raises(InvalidRuleError, match="must be at least 1"):
        seed_series(rule)


# Exdates ---------------------------------------------------------------------------------------


def test_an_exdate_that_is_a_date_drops_the_class_on_that_local_day() -> None:
    series = seed_series("FREQ=WEEKLY;COUNT=10", exdates=[date(2016, 10, 14)])

    assert len(series) == 9
    assert date(2016, 10, 14) not in local_days(series)


def test_an_exdate_that_is_a_naive_datetime_is_the_local_start_it_drops() -> None:
    series = seed_series("FREQ=WEEKLY;COUNT=10", exdates=[datetime(2016, 10, 14, 10, 0)])

    assert len(series) == 9
    assert date(2016, 10, 14) not in local_days(series)


def test_an_exdate_at_another_local_time_drops_nothing() -> None:
    # 08:00 is the class's UTC hour, but a naive exdate is local: the class is at 10:00 there.
    series = seed_series("FREQ=WEEKLY;COUNT=10", exdates=[datetime(2016, 10, 14, 8, 0)])

    assert len(series) == 10


def test_an_exdate_that_is_an_aware_datetime_drops_the_class_at_that_instant() -> None:
    series = seed_series("FREQ=WEEKLY;COUNT=10", exdates=[utc(2016, 10, 14, 8, 0)])

    assert date(2016, 10, 14) not in local_days(series)


def test_a_date_exdate_is_read_in_the_series_zone_not_in_utc() -> None:
    # The class at 23:30 in New York on 24 December 2024 is 04:30 UTC on the 25th.
    series = expand_rule(
        "FREQ=DAILY;COUNT=3",
        first_start=local(NEW_YORK, 2024, 12, 23, 23, 30),
        length=HOUR,
        timezone="America/New_York",
        exdates=[date(2024, 12, 25)],
    )

    assert local_days(series, NEW_YORK) == [date(2024, 12, 23), date(2024, 12, 24)]


def test_exdates_that_match_no_class_are_ignored_so_one_holiday_list_fits_many_series() -> None:
    holidays = [date(2016, 12, 25), date(2016, 12, 26), date(2017, 1, 1)]

    assert len(seed_series("FREQ=WEEKLY;COUNT=10", exdates=holidays)) == 10


def test_exdates_that_drop_every_class_leave_nothing() -> None:
    with pytest.raises(NoOccurrencesError):
        seed_series("FREQ=WEEKLY;COUNT=2", exdates=[date(2016, 9, 30), date(2016, 10, 7)])


# Limits ----------------------------------------------------------------------------------------


def test_a_series_of_exactly_the_limit_is_accepted() -> None:
    assert len(seed_series(f"FREQ=DAILY;COUNT={MAX_OCCURRENCES}")) == MAX_OCCURRENCES


def test_a_series_one_past_the_limit_is_refused() -> None:
    with pytest.raises(TooManyOccurrencesError, match="more than the 1000 classes"):
        seed_series(f"FREQ=DAILY;COUNT={MAX_OCCURRENCES + 1}")


def test_the_limit_counts_the_classes_left_after_the_exdates() -> None:
    series = seed_series(f"FREQ=DAILY;COUNT={MAX_OCCURRENCES + 1}", exdates=[date(2016, 10, 1)])

    assert len(series) == MAX_OCCURRENCES


def test_a_daily_rule_until_the_far_future_is_refused_without_expanding_it_all() -> None:
    started = clock.perf_counter()

    with pytest.raises(TooManyOccurrencesError):
        seed_series("FREQ=DAILY;UNTIL=99991231T000000Z")

    assert clock.perf_counter() - started < 1.0  # expanding to 9999 takes many seconds


def test_a_rule_whose_filters_never_match_is_refused_at_once() -> None:
    started = clock.perf_counter()

    with pytest.raises(InvalidRuleError, match="BYMONTH=2 leaves out"):
        seed_series("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=1")

    assert clock.perf_counter() - started < 1.0


# Rules a class cannot follow --------------------------------------------------------------------


def test_an_unknown_time_zone_is_refused_at_timezone() -> None:
    with pytest.raises(UnknownTimeZoneError, match="not an IANA time zone") as refused:
        expand_rule(
            "FREQ=WEEKLY;COUNT=3", first_start=SEED_START, length=HOUR, timezone="Europe/Atlantis"
        )

    assert refused.value.field == "timezone"


@pytest.mark.parametrize("zone", ["", "europe/oslo", "Europe", "../../etc/passwd", "/etc/passwd"])
def test_a_time_zone_that_is_no_iana_key_is_refused(zone: str) -> None:
    with pytest.raises(UnknownTimeZoneError):
        expand_rule("FREQ=WEEKLY;COUNT=3", first_start=SEED_START, length=HOUR, timezone=zone)


@pytest.mark.parametrize(
    "rule",
    [
        "",
        "garbage",
        "FREQ=FORTNIGHTLY;COUNT=3",
        "FREQ=WEEKLY;BYDAY=XX;COUNT=3",
        "FREQ=WEEKLY;COLOUR=BLUE;COUNT=3",
        "COUNT=3",
        "FREQ=WEEKLY;COUNT=2;COUNT=3",
        "FREQ=WEEKLY;COUNT=3\nEXDATE:20161007T100000",
        "DTSTART:20160930T100000\nRRULE:FREQ=WEEKLY;COUNT=3",
        "DTSTART=20160930T100000;FREQ=WEEKLY;COUNT=3",
    ],
)
def test_a_rule_that_does_not_parse_is_refused_with_an_example(rule: str) -> None:
    with pytest.raises(InvalidRuleError) as refused:
        seed_series(rule)

    assert refused.value.field == "rrule"


@pytest.mark.parametrize("frequency", ["HOURLY", "MINUTELY", "SECONDLY"])
def test_a_rule_finer_than_daily_is_refused(frequency: str) -> None:
    with pytest.raises(InvalidRuleError, match=f"FREQ={frequency} is not supported"):
        seed_series(f"FREQ={frequency};COUNT=3")


@pytest.mark.parametrize("part", ["BYHOUR=9", "BYMINUTE=30", "BYSECOND=0"])
def test_a_rule_that_sets_the_time_of_day_is_refused(part: str) -> None:
    with pytest.raises(InvalidRuleError, match="time of day"):
        seed_series(f"FREQ=DAILY;{part};COUNT=3")


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=WEEKLY;BYWEEKNO=40;COUNT=3",
        "FREQ=MONTHLY;BYYEARDAY=274;COUNT=3",
        "FREQ=WEEKLY;BYMONTHDAY=30;COUNT=3",
        "FREQ=DAILY;BYSETPOS=2;COUNT=3",
    ],
)
def test_a_part_rfc_5545_forbids_at_the_rules_frequency_is_refused(rule: str) -> None:
    with pytest.raises(InvalidRuleError, match="cannot be used with FREQ="):
        seed_series(rule)


def test_an_event_start_that_is_not_an_occurrence_of_the_rule_is_refused() -> None:
    with pytest.raises(InvalidRuleError, match="starts on a Friday, which BYDAY=TH leaves out"):
        seed_series("FREQ=WEEKLY;BYDAY=TH;COUNT=3")


def test_a_monthly_rule_on_the_last_friday_starts_on_the_seeds_last_friday() -> None:
    series = seed_series("FREQ=MONTHLY;BYDAY=-1FR;COUNT=3")

    assert local_days(series) == [date(2016, 9, 30), date(2016, 10, 28), date(2016, 11, 25)]


def test_a_naive_first_start_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        expand_rule(
            "FREQ=WEEKLY;COUNT=3",
            first_start=datetime(2016, 9, 30, 10, 0),
            length=HOUR,
            timezone="Europe/Oslo",
        )


def test_every_recurrence_refusal_is_a_domain_error() -> None:
    for error in (
        InvalidRuleError,
        UnboundedRuleError,
        TooManyOccurrencesError,
        UnknownTimeZoneError,
        DuplicateStartError,
        NoOccurrencesError,
    ):
        assert issubclass(error, RecurrenceError)
        assert issubclass(error, DomainError)


# Explicit starts -------------------------------------------------------------------------------


def test_explicit_starts_come_back_in_time_order_in_utc() -> None:
    later = local(OSLO, 2024, 5, 3, 9, 0)
    earlier = utc(2024, 5, 1, 7, 0)

    series = explicit_starts([later, earlier], length=HOUR, timezone="Europe/Oslo")

    assert series == [
        Occurrence(earlier, earlier + HOUR),
        Occurrence(utc(2024, 5, 3, 7, 0), utc(2024, 5, 3, 8, 0)),
    ]
    assert all(o.start.tzinfo is UTC for o in series)


def test_an_explicit_start_given_twice_is_refused_even_with_another_offset() -> None:
    with pytest.raises(DuplicateStartError, match="2024-05-01T07:00:00\\+00:00 is given twice"):
        explicit_starts(
            [utc(2024, 5, 1, 7, 0), local(OSLO, 2024, 5, 1, 9, 0)], length=HOUR, timezone="UTC"
        )


def test_exdates_drop_explicit_starts_by_local_day_in_the_given_zone() -> None:
    # 23:30 UTC on 24 December is already Christmas Day in Oslo, but not in UTC.
    starts = [utc(2024, 12, 24, 23, 30), utc(2024, 12, 27, 17, 0)]
    christmas = [date(2024, 12, 25)]

    in_oslo = explicit_starts(starts, length=HOUR, timezone="Europe/Oslo", exdates=christmas)
    in_utc = explicit_starts(starts, length=HOUR, exdates=christmas)

    assert starts_of(in_oslo) == [utc(2024, 12, 27, 17, 0)]
    assert starts_of(in_utc) == starts


def test_exdates_drop_explicit_starts_by_instant() -> None:
    starts = [utc(2024, 5, 1, 7, 0), utc(2024, 5, 8, 7, 0)]

    series = explicit_starts(
        starts, length=HOUR, timezone="Europe/Oslo", exdates=[datetime(2024, 5, 8, 9, 0)]
    )

    assert starts_of(series) == [utc(2024, 5, 1, 7, 0)]


def test_explicit_starts_past_the_limit_are_refused() -> None:
    starts = [SEED_START + timedelta(days=n) for n in range(MAX_OCCURRENCES + 1)]

    assert len(explicit_starts(starts[:-1], length=HOUR)) == MAX_OCCURRENCES
    with pytest.raises(TooManyOccurrencesError) as refused:
        explicit_starts(starts, length=HOUR)
    assert refused.value.field == "starts"


def test_no_explicit_starts_leave_nothing() -> None:
    with pytest.raises(NoOccurrencesError):
        explicit_starts([], length=HOUR)


def test_explicit_starts_in_an_unknown_zone_are_refused() -> None:
    with pytest.raises(UnknownTimeZoneError):
        explicit_starts([SEED_START], length=HOUR, timezone="Mars/Olympus")


# The property ----------------------------------------------------------------------------------

ZONES = ["Europe/Oslo", "America/New_York", "Australia/Sydney", "Asia/Tokyo"]


@settings(database=None, max_examples=150, deadline=None)
@given(
    data=st.data(),
    zone_name=st.sampled_from(ZONES),
    first_day=st.dates(date(2020, 1, 1), date(2030, 12, 31)),
    # Hours clear of the small hours, when every one of these zones changes its clocks.
    wall_time=st.builds(time, st.integers(6, 22), st.sampled_from([0, 15, 30, 45])),
    count=st.integers(1, 60),
)
def test_a_weekly_rule_keeps_the_first_wall_time_and_weekday_minus_its_exdates(
    data: st.DataObject, zone_name: str, first_day: date, wall_time: time, count: int
) -> None:
    zone = ZoneInfo(zone_name)
    first_start = datetime.combine(first_day, wall_time, tzinfo=zone)
    dropped = data.draw(st.sets(st.integers(1, count - 1)) if count > 1 else st.just(set()))
    exdates = [first_day + timedelta(weeks=week) for week in sorted(dropped)]

    series = expand_rule(
        f"FREQ=WEEKLY;COUNT={count}",
        first_start=first_start,
        length=HOUR,
        timezone=zone_name,
        exdates=exdates,
    )

    local_starts = [o.start.astimezone(zone) for o in series]
    assert len(series) == count - len(dropped)
    assert series[0].start == first_start
    assert {start.time() for start in local_starts} == {wall_time}
    assert {start.weekday() for start in local_starts} == {first_day.weekday()}
    assert not {start.date() for start in local_starts} & set(exdates)
    assert starts_of(series) == sorted(starts_of(series))
