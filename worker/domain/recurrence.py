"""Recurring classes: an RFC 5545 rule or a list of starts, expanded in a time zone to UTC."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import chain, pairwise, takewhile
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrulestr

from .errors import DomainError

# One series becomes this many class rows, each with its own seats; past it a rule is a mistake
# (FREQ=DAILY for thirty years) or an attack on memory. The contract's bound mirrors this one.
MAX_OCCURRENCES = 1000

# A class recurs at most once a day, at its event's time of day: finer rules would invent times.
_SUB_DAILY = ("HOURLY", "MINUTELY", "SECONDLY")
_TIME_OF_DAY_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")
# RFC 5545 forbids these parts at these frequencies. dateutil accepts them, and a rule that then
# never matches makes it scan period by period to year 9999: seconds of CPU for FREQ=DAILY.
_NOT_AT_FREQ = {
    "BYWEEKNO": ("DAILY", "WEEKLY", "MONTHLY"),
    "BYYEARDAY": ("DAILY", "WEEKLY", "MONTHLY"),
    "BYMONTHDAY": ("WEEKLY",),
    "BYSETPOS": ("DAILY",),  # a day's set holds one time, as BYHOUR and the like are refused
}
_UNTIL = re.compile(r"(?P<day>\d{8})(?:T(?P<time>\d{6})(?P<utc>Z)?)?")
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_EXAMPLE = "such as FREQ=WEEKLY;BYDAY=FR;COUNT=10"

# RecurrenceError                the recurrence cannot become a series of classes; .field
# ├── InvalidRuleError           the rule does not parse, or asks what a class cannot do
# ├── UnboundedRuleError         the rule has neither COUNT nor UNTIL
# ├── TooManyOccurrencesError    more than MAX_OCCURRENCES classes
# ├── UnknownTimeZoneError       not an IANA time zone
# ├── DuplicateStartError        an explicit list names one instant twice
# └── NoOccurrencesError         nothing is left to create


class RecurrenceError(DomainError):
    """The recurrence cannot be expanded into a series of classes."""

    field = "rrule"  # the recurrence's field a refusal names

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        if field is not None:
            self.field = field


class InvalidRuleError(RecurrenceError):
    """The rule does not parse as RFC 5545, or asks for something a class cannot do."""


class UnboundedRuleError(RecurrenceError):
    """The rule has no end: neither COUNT nor UNTIL."""


class TooManyOccurrencesError(RecurrenceError):
    """The series would hold more than MAX_OCCURRENCES classes."""


class UnknownTimeZoneError(RecurrenceError):
    """The time zone is not a known IANA zone."""

    field = "timezone"


class DuplicateStartError(RecurrenceError):
    """An explicit list of starts names the same instant twice."""

    field = "starts"


class NoOccurrencesError(RecurrenceError):
    """Nothing is left of the series once UNTIL and the exdates are applied."""


@dataclass(frozen=True)
class Occurrence:
    """One class of a series, in UTC."""

    start: datetime
    end: datetime


def load_zone(name: str) -> ZoneInfo:
    """The IANA time zone called `name`, or UnknownTimeZoneError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UnknownTimeZoneError(
            f"{name!r} is not an IANA time zone, such as Europe/Oslo"
        ) from None


def to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant a naive local wall time in `zone` stands for.

    An ambiguous wall time (autumn, clocks back) is the first of its two instants (fold=0, still
    summer time). A wall time that does not exist (spring, clocks forward) is read with the offset
    in force before the change, as zoneinfo does with fold=0: it moves forward by the gap, so
    02:30 on a day when clocks jump from 02:00 to 03:00 becomes 03:30 summer time.
    """
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


def expand_rule(
    rrule_text: str,
    *,
    first_start: datetime,
    length: timedelta,
    timezone: str,
    exdates: Sequence[date | datetime] = (),
) -> list[Occurrence]:
    """The classes an RFC 5545 rule gives, the first at `first_start`, each `length` long.

    The rule runs on local wall times in `timezone`, so a 09:00 class stays at 09:00 local across
    daylight-saving changes and its UTC time moves. UNTIL ending in Z is an instant; without it, a
    local wall time; a bare date includes that whole local day. `first_start` must be an
    occurrence of the rule. MAX_OCCURRENCES counts the classes kept after the exdates.
    """
    zone = load_zone(timezone)
    _check_aware(first_start, "first_start")
    local_first = first_start.astimezone(zone).replace(tzinfo=None)
    parts = _rule_parts(rrule_text)
    rule = _parsed(parts, local_first)
    _check_shape(parts)
    until = _until(parts.get("UNTIL"))
    _check_starts_on_rule(parts, local_first)
    first_utc = first_start.astimezone(UTC)
    starts = (
        (wall, first_utc if wall == local_first else to_utc(wall, zone))
        for wall in _synchronised_walls(rule, local_first)
    )
    within = takewhile(lambda pair: not _is_past(until, *pair), starts)
    return _kept(within, length, _Exclusions.of(exdates, zone), field="rrule")


def explicit_starts(
    starts: Sequence[datetime],
    *,
    length: timedelta,
    timezone: str = "UTC",
    exdates: Sequence[date | datetime] = (),
) -> list[Occurrence]:
    """The classes of an explicit list of starts, in time order, each `length` long."""
    zone = load_zone(timezone)
    if not starts:
        raise NoOccurrencesError("a series needs at least one start", field="starts")
    if len(starts) > MAX_OCCURRENCES:
        raise TooManyOccurrencesError(
            f"{len(starts)} starts are more than the {MAX_OCCURRENCES} a series may hold",
            field="starts",
        )
    for start in starts:
        _check_aware(start, "starts")
    instants = sorted(start.astimezone(UTC) for start in starts)
    for earlier, later in pairwise(instants):
        if earlier == later:
            raise DuplicateStartError(f"{later.isoformat()} is given twice")
    pairs = ((instant.astimezone(zone).replace(tzinfo=None), instant) for instant in instants)
    return _kept(pairs, length, _Exclusions.of(exdates, zone), field="starts")


@dataclass(frozen=True)
class _Exclusions:
    """Exdates: local dates in the series's zone, and instants (a naive time is local)."""

    days: frozenset[date]
    instants: frozenset[datetime]

    @classmethod
    def of(cls, exdates: Iterable[date | datetime], zone: ZoneInfo) -> _Exclusions:
        days = {day for day in exdates if not isinstance(day, datetime)}
        instants = {
            to_utc(moment, zone) if moment.tzinfo is None else moment.astimezone(UTC)
            for moment in exdates
            if isinstance(moment, datetime)
        }
        return cls(frozenset(days), frozenset(instants))

    def cover(self, wall: datetime, start: datetime) -> bool:
        return wall.date() in self.days or start in self.instants


def _kept(
    pairs: Iterable[tuple[datetime, datetime]],
    length: timedelta,
    excluded: _Exclusions,
    *,
    field: str,
) -> list[Occurrence]:
    """Occurrences from (local wall time, UTC start) pairs, consumed lazily up to the limit."""
    if length <= timedelta(0):
        raise ValueError(f"a class must last a positive time, not {length}")
    kept: list[Occurrence] = []
    for wall, start in pairs:
        if excluded.cover(wall, start):
            continue
        kept.append(Occurrence(start, start + length))
        if len(kept) > MAX_OCCURRENCES:
            raise TooManyOccurrencesError(
                f"the series has more than the {MAX_OCCURRENCES} classes it may hold", field=field
            )
    if not kept:
        raise NoOccurrencesError("the exdates (or UNTIL) leave no class in the series", field=field)
    return kept


def _check_aware(moment: datetime, name: str) -> None:
    # The contract only lets aware times through; a naive one here is a programming error.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment.isoformat()}")


def _rule_parts(rrule_text: str) -> dict[str, str]:
    """The rule's NAME=VALUE parts, each given once."""
    body = rrule_text.strip().upper().removeprefix("RRULE:")
    if not body or any(character.isspace() for character in body):
        raise InvalidRuleError(f"must be one RRULE line, {_EXAMPLE}")
    parts: dict[str, str] = {}
    for pair in body.split(";"):
        name, equals, value = pair.partition("=")
        if not (name and equals and value):
            raise InvalidRuleError(f"{pair!r} is not NAME=VALUE; write a rule {_EXAMPLE}")
        if name in parts:
            raise InvalidRuleError(f"{name} is given twice")
        parts[name] = value
    if "DTSTART" in parts:
        raise InvalidRuleError("DTSTART comes from the event's start and cannot be in the rule")
    if "FREQ" not in parts:
        raise InvalidRuleError(f"FREQ is missing; write a rule {_EXAMPLE}")
    return parts


def _parsed(parts: dict[str, str], local_first: datetime) -> Any:
    """dateutil's rule for every part but UNTIL, which the expansion applies itself."""
    # dateutil refuses a UTC UNTIL beside a naive DTSTART, and reads a local one leniently.
    text = ";".join(f"{name}={value}" for name, value in parts.items() if name != "UNTIL")
    try:
        return rrulestr(text, dtstart=local_first.replace(microsecond=0))
    except (ValueError, KeyError, TypeError, OverflowError) as error:
        raise InvalidRuleError(f"is not an RFC 5545 rule ({error}); write one {_EXAMPLE}") from None


def _check_shape(parts: dict[str, str]) -> None:
    """Refuse what a series of one class cannot use: finer than daily, or without an end."""
    if parts["FREQ"] in _SUB_DAILY:
        raise InvalidRuleError(
            f"FREQ={parts['FREQ']} is not supported: a class recurs at most daily"
        )
    for name in _TIME_OF_DAY_PARTS:
        if name in parts:
            raise InvalidRuleError(
                f"{name} is not supported: every class starts at its event's time of day"
            )
    for name, frequencies in _NOT_AT_FREQ.items():
        if name in parts and parts["FREQ"] in frequencies:
            raise InvalidRuleError(f"{name} cannot be used with FREQ={parts['FREQ']}")
    if int(parts.get("INTERVAL", "1")) < 1:
        raise InvalidRuleError("INTERVAL must be at least 1")
    if "COUNT" in parts and "UNTIL" in parts:
        raise InvalidRuleError("COUNT and UNTIL cannot both be given (RFC 5545)")
    if "COUNT" not in parts and "UNTIL" not in parts:
        raise UnboundedRuleError(
            f"the rule has no end; give COUNT or UNTIL, for at most {MAX_OCCURRENCES} classes"
        )
    if int(parts.get("COUNT", "1")) < 1:
        raise InvalidRuleError("COUNT must be at least 1")


def _until(value: str | None) -> datetime | None:
    """UNTIL as an aware instant (Z), a naive local wall time, or the last moment of a date."""
    if value is None:
        return None
    refusal = InvalidRuleError(
        f"UNTIL={value} is not a date (20241231) or a local date and time (20241231T090000) "
        "or a UTC one (20241231T080000Z)"
    )
    matched = _UNTIL.fullmatch(value)
    if matched is None:
        raise refusal
    try:
        day = datetime.strptime(matched["day"], "%Y%m%d").date()
        clock = (
            time.max if not matched["time"] else datetime.strptime(matched["time"], "%H%M%S").time()
        )
    except ValueError:
        raise refusal from None
    moment = datetime.combine(day, clock)
    return moment.replace(tzinfo=UTC) if matched["utc"] else moment


def _is_past(until: datetime | None, wall: datetime, start: datetime) -> bool:
    # A local UNTIL compares with wall times, a UTC one with instants. With at most one class a
    # day both orders agree, so the first occurrence past UNTIL ends the series.
    if until is None:
        return False
    return (start if until.tzinfo is not None else wall) > until


def _check_starts_on_rule(parts: dict[str, str], local_first: datetime) -> None:
    """Refuse at once an event start that BYDAY, BYMONTH or BYMONTHDAY leave out.

    dateutil finds this too, but when the filters can never match (BYMONTH=2;BYMONTHDAY=30) only
    by scanning day by day towards year 9999, which costs seconds of CPU.
    """
    weekday = _WEEKDAYS[local_first.weekday()]
    if "BYDAY" in parts and weekday not in {day[-2:] for day in parts["BYDAY"].split(",")}:
        raise InvalidRuleError(
            f"the event starts on a {local_first:%A}, which BYDAY={parts['BYDAY']} leaves out"
        )
    if "BYMONTH" in parts and local_first.month not in _numbers(parts["BYMONTH"]):
        raise InvalidRuleError(
            f"the event starts in {local_first:%B}, which BYMONTH={parts['BYMONTH']} leaves out"
        )
    days_in_month = calendar.monthrange(local_first.year, local_first.month)[1]
    from_end = local_first.day - days_in_month - 1  # -1 is the month's last day
    if "BYMONTHDAY" in parts and not {local_first.day, from_end} & _numbers(parts["BYMONTHDAY"]):
        raise InvalidRuleError(
            f"the event starts on day {local_first.day} of its month, which "
            f"BYMONTHDAY={parts['BYMONTHDAY']} leaves out"
        )


def _numbers(values: str) -> set[int]:
    return {int(value) for value in values.split(",")}


def _synchronised_walls(rule: Any, local_first: datetime) -> Iterator[datetime]:
    """The rule's local wall times, refused unless the event's start is the first of them."""
    walls = _walls(rule, local_first.microsecond)
    first = next(walls, None)
    if first != local_first:
        raise InvalidRuleError(
            f"the event's start, {local_first:%A %Y-%m-%d %H:%M} local time, is not an "
            "occurrence of the rule"
        )
    return chain([local_first], walls)


def _walls(rule: Any, microsecond: int) -> Iterator[datetime]:
    # dateutil drops DTSTART's microseconds; every class keeps those of the event's start.
    try:
        for wall in rule:
            yield wall.replace(microsecond=microsecond)
    except (ValueError, OverflowError) as error:
        raise InvalidRuleError(f"the rule cannot be expanded: {error}") from None
