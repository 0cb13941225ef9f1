"""The recurrence on the wire: which bodies the client accepts, and how it names what is wrong."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from api_client.contract.recurrence import (
    MAX_EXDATES,
    MAX_OCCURRENCES,
    MAX_RULE_CHARS,
    Recurrence,
)
from api_client.contract.requests import ContractModel
from api_client.contract.validation import validate
from api_client.errors import InvalidRequestError
from worker.domain import recurrence as domain


class ClassSeries(ContractModel):
    """A stand-in for the body that will carry a recurrence, so errors read as they will."""

    recurrence: Recurrence


SERIES = TypeAdapter(ClassSeries)
WEEKLY_IN_OSLO = {"rrule": "FREQ=WEEKLY;BYDAY=FR;COUNT=10", "timezone": "Europe/Oslo"}
ONE_START = {"starts": ["2024-05-03T09:00:00+02:00"]}


def accepted(recurrence: Any) -> Recurrence:
    return validate(SERIES, {"recurrence": recurrence}).recurrence


def refusal(recurrence: Any) -> dict[str, list[str]]:
    """The field errors of a refused recurrence, after checking it was refused as invalid."""
    with pytest.raises(InvalidRequestError) as refused:
        validate(SERIES, {"recurrence": recurrence})
    assert refused.value.status == 422
    assert refused.value.errors is not None
    return refused.value.errors


# Accepted --------------------------------------------------------------------------------------


def test_the_issues_weekly_rule_in_oslo_is_accepted() -> None:
    recurrence = accepted(WEEKLY_IN_OSLO)

    assert recurrence.rrule == "FREQ=WEEKLY;BYDAY=FR;COUNT=10"
    assert recurrence.timezone == "Europe/Oslo"
    assert recurrence.starts is None
    assert recurrence.exdates == []


@pytest.mark.parametrize("until", ["20241231T080000Z", "20241231T090000", "20241231"])
def test_a_rule_with_until_in_utc_local_or_as_a_date_is_accepted(until: str) -> None:
    assert accepted({**WEEKLY_IN_OSLO, "rrule": f"FREQ=WEEKLY;UNTIL={until}"}).rrule


def test_explicit_starts_are_accepted_in_utc_with_the_zone_defaulting_to_utc() -> None:
    recurrence = accepted({"starts": ["2024-05-03T09:00:00+02:00", "2024-05-10T07:00:00Z"]})

    assert recurrence.starts == [
        datetime(2024, 5, 3, 7, 0, tzinfo=UTC),
        datetime(2024, 5, 10, 7, 0, tzinfo=UTC),
    ]
    assert recurrence.timezone == "UTC"


def test_explicit_starts_may_name_the_zone_their_exdates_are_read_in() -> None:
    assert accepted({**ONE_START, "timezone": "America/New_York"}).timezone == "America/New_York"


def test_an_exdate_is_a_date_or_a_date_and_time_as_written() -> None:
    recurrence = accepted(
        {
            **WEEKLY_IN_OSLO,
            "exdates": [
                "2024-12-25",
                "2024-12-26T09:00:00",
                "2024-12-27T00:00:00",
                "2024-12-28T08:00:00Z",
            ],
        }
    )

    assert recurrence.exdates == [
        date(2024, 12, 25),
        datetime(2024, 12, 26, 9, 0),
        datetime(2024, 12, 27, 0, 0),
        datetime(2024, 12, 28, 8, 0, tzinfo=UTC),
    ]
    assert type(recurrence.exdates[0]) is date
    assert type(recurrence.exdates[2]) is datetime  # midnight is a time, not the whole day


def test_an_unbounded_rule_passes_the_client_and_is_left_to_the_worker_to_refuse() -> None:
    recurrence = accepted({**WEEKLY_IN_OSLO, "rrule": "FREQ=WEEKLY;BYDAY=FR"})

    with pytest.raises(domain.UnboundedRuleError):
        domain.expand_rule(
            recurrence.rrule or "",
            first_start=datetime(2024, 5, 3, 7, 0, tzinfo=UTC),
            length=timedelta(hours=1),
            timezone=recurrence.timezone,
        )


def test_the_clients_limit_mirrors_the_workers() -> None:
    assert MAX_OCCURRENCES == domain.MAX_OCCURRENCES


# Refused, and where ----------------------------------------------------------------------------


def test_a_rule_and_starts_together_are_refused_at_recurrence() -> None:
    assert refusal({**WEEKLY_IN_OSLO, **ONE_START}) == {
        "recurrence": ["takes rrule or starts, not both"]
    }


def test_a_recurrence_with_neither_rule_nor_starts_is_refused_at_recurrence() -> None:
    assert refusal({"timezone": "Europe/Oslo"}) == {
        "recurrence": ["needs rrule (with timezone) or starts"]
    }


def test_a_rule_without_a_time_zone_is_refused_at_timezone() -> None:
    errors = refusal({"rrule": "FREQ=WEEKLY;COUNT=3"})

    assert list(errors) == ["recurrence.timezone"]
    assert "is required with rrule" in errors["recurrence.timezone"][0]


@pytest.mark.parametrize("zone", ["Europe/Atlantis", "europe/oslo", "Europe", "/etc/passwd", ""])
def test_an_unknown_time_zone_is_refused_at_timezone(zone: str) -> None:
    assert list(refusal({**WEEKLY_IN_OSLO, "timezone": zone})) == ["recurrence.timezone"]


def test_an_unknown_time_zone_names_the_iana_form_it_wants() -> None:
    assert refusal({**WEEKLY_IN_OSLO, "timezone": "Mars/Olympus"}) == {
        "recurrence.timezone": ["is not an IANA time zone, such as Europe/Oslo"]
    }


@pytest.mark.parametrize(
    "rule",
    [
        "garbage",
        "FREQ=FORTNIGHTLY;COUNT=3",
        "FREQ=WEEKLY;BYDAY=XX;COUNT=3",
        "FREQ=WEEKLY;UNTIL=someday",
        "FREQ=WEEKLY;COUNT=3\nEXDATE:20241225T090000",
        "",
    ],
)
def test_a_rule_that_does_not_parse_is_refused_at_rrule(rule: str) -> None:
    assert list(refusal({**WEEKLY_IN_OSLO, "rrule": rule})) == ["recurrence.rrule"]


def test_an_unparseable_rule_is_refused_with_an_example() -> None:
    message = refusal({**WEEKLY_IN_OSLO, "rrule": "FREQ=FORTNIGHTLY;COUNT=3"})["recurrence.rrule"]

    assert message == [
        "is not an RFC 5545 rule (invalid 'FREQ': FORTNIGHTLY); "
        "write one such as FREQ=WEEKLY;BYDAY=FR;COUNT=10"
    ]


def test_an_absurdly_long_rule_is_refused_at_rrule() -> None:
    rule = "FREQ=WEEKLY;COUNT=3;" + "BYMONTH=1;" * (MAX_RULE_CHARS // 10)

    assert refusal({**WEEKLY_IN_OSLO, "rrule": rule}) == {
        "recurrence.rrule": [f"String should have at most {MAX_RULE_CHARS} characters"]
    }


def test_no_starts_are_refused_at_starts() -> None:
    assert list(refusal({"starts": []})) == ["recurrence.starts"]


def test_more_starts_than_the_limit_are_refused_at_starts() -> None:
    starts = [f"2024-01-01T00:00:{n % 60:02d}Z" for n in range(MAX_OCCURRENCES + 1)]

    assert list(refusal({"starts": starts})) == ["recurrence.starts"]


def test_a_start_without_an_offset_is_refused_by_its_position() -> None:
    errors = refusal({"starts": ["2024-05-03T07:00:00Z", "2024-05-10T09:00:00"]})

    assert list(errors) == ["recurrence.starts.1"]


@pytest.mark.parametrize("exdate", [20241225, "christmas", "2024-13-01", "2024-12-25T25:00"])
def test_an_exdate_that_is_no_iso_date_is_refused_by_its_position(exdate: object) -> None:
    errors = refusal({**WEEKLY_IN_OSLO, "exdates": ["2024-12-24", exdate]})

    assert errors == {
        "recurrence.exdates.1": [
            "must be an ISO date (2024-12-25) or date and time (2024-12-25T09:00:00)"
        ]
    }


def test_more_exdates_than_the_limit_are_refused_at_exdates() -> None:
    errors = refusal({**WEEKLY_IN_OSLO, "exdates": ["2024-12-25"] * (MAX_EXDATES + 1)})

    assert list(errors) == ["recurrence.exdates"]


def test_an_unknown_field_in_the_recurrence_is_refused_by_its_dotted_path() -> None:
    assert refusal({**WEEKLY_IN_OSLO, "exrule": "FREQ=YEARLY"}) == {
        "recurrence.exrule": ["Extra inputs are not permitted"]
    }


def test_a_recurrence_is_frozen() -> None:
    recurrence = accepted(WEEKLY_IN_OSLO)

    with pytest.raises(ValidationError):
        recurrence.timezone = "UTC"  # type: ignore[misc]
