"""A class's recurrence as the wire spells it: an RFC 5545 rule or a list of starts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from dateutil.rrule import rrule, rrulestr
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from .requests import ContractModel, GroupOwnerBooking, UtcDatetime, ZoneName

# Mirrors worker.domain.recurrence.MAX_OCCURRENCES, which the client cannot import: one series
# becomes this many class rows. The worker still counts what a rule expands to.
MAX_OCCURRENCES = 1000
MAX_EXDATES = 1000
MAX_RULE_CHARS = 500

_EXAMPLE = "such as FREQ=WEEKLY;BYDAY=FR;COUNT=10"
# Any fixed start will do: the client only checks that the rule parses, and must not read a clock.
_ANY_START = datetime(2000, 1, 1)


def _check_rule_parses(text: str) -> str:
    try:
        # ignoretz: dateutil refuses a UTC UNTIL beside a naive start; the worker reads UNTIL.
        parsed = rrulestr(text, dtstart=_ANY_START, ignoretz=True)
    except (ValueError, KeyError, TypeError, OverflowError) as error:
        raise ValueError(f"is not an RFC 5545 rule ({error}); write one {_EXAMPLE}") from None
    if not isinstance(parsed, rrule):
        raise ValueError(f"must be a single RRULE, {_EXAMPLE}")
    return text


def _date_or_datetime(value: Any) -> Any:
    """An ISO date is a whole local day; with a time of day, it is a date and time."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        # Parsed here: pydantic would read 2024-12-25T00:00 as a date, 20241225 as 1970 seconds.
        has_time = "T" in value.upper() or " " in value
        try:
            return datetime.fromisoformat(value) if has_time else date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError("must be an ISO date (2024-12-25) or date and time (2024-12-25T09:00:00)")


RuleText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_RULE_CHARS),
    AfterValidator(_check_rule_parses),
]
ExDate = Annotated[date | datetime, BeforeValidator(_date_or_datetime)]


class Recurrence(ContractModel):
    """How a class repeats: `rrule` in `timezone`, or explicit `starts`; minus `exdates`.

    An exdate that is a date drops the class on that local day; a date and time drops the class
    starting then (without an offset, in `timezone`). The worker expands the rule.
    """

    rrule: RuleText | None = None
    starts: Annotated[list[UtcDatetime], Field(min_length=1, max_length=MAX_OCCURRENCES)] | None = (
        None
    )
    timezone: ZoneName = "UTC"
    exdates: Annotated[list[ExDate], Field(max_length=MAX_EXDATES)] = []

    @model_validator(mode="before")
    @classmethod
    def _rule_needs_a_zone(cls, data: Any) -> Any:
        # A missing zone beside a rule becomes null, so that the refusal names `timezone`.
        if isinstance(data, dict) and data.get("rrule") is not None and "timezone" not in data:
            return {**data, "timezone": None}
        return data

    @field_validator("timezone", mode="before")
    @classmethod
    def _zone_given(cls, zone: Any) -> Any:
        if zone is None:
            raise ValueError("is required with rrule: an IANA time zone, such as Europe/Oslo")
        return zone

    @model_validator(mode="after")
    def _rule_or_starts(self) -> Recurrence:
        if self.rrule is not None and self.starts is not None:
            raise ValueError("takes rrule or starts, not both")
        if self.rrule is None and self.starts is None:
            raise ValueError("needs rrule (with timezone) or starts")
        return self


class GroupOwnerSeries(GroupOwnerBooking):
    """A season of classes in one command: the event is the first class, `recurrence` the rest."""

    recurrence: Recurrence
