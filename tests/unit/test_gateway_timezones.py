"""The Timekit-Timezone header's rendering: the same instants, written in the caller's zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from api_client import InvalidRequestError
from gateway.timezones import in_zone, zone_named

NEW_YORK = ZoneInfo("America/New_York")


def test_every_timestamp_field_is_rendered_in_the_zone_wherever_it_is_nested() -> None:
    answer = {
        "data": [
            {
                "created_at": "2026-12-01T12:00:00+00:00",
                "attributes": {
                    "event_info": {
                        "start": "2026-12-10T14:00:00+00:00",
                        "end": "2026-12-10T15:00:00+00:00",
                        "what": "2026-12-10T14:00:00+00:00",  # not a timestamp field
                    }
                },
                "logs": [{"created_at": "2026-07-01T12:00:00+00:00", "message": None}],
                "notifications": [{"delivered_at": None}],
            }
        ]
    }

    shown = in_zone(answer, NEW_YORK)

    [item] = shown["data"]
    assert item["created_at"] == "2026-12-01T07:00:00-05:00"
    assert item["attributes"]["event_info"]["start"] == "2026-12-10T09:00:00-05:00"
    assert item["attributes"]["event_info"]["end"] == "2026-12-10T10:00:00-05:00"
    assert item["attributes"]["event_info"]["what"] == "2026-12-10T14:00:00+00:00"
    assert item["logs"][0]["created_at"] == "2026-07-01T08:00:00-04:00"  # summer time
    assert item["notifications"] == [{"delivered_at": None}]


def test_a_field_that_is_not_a_timestamp_is_left_as_it_is() -> None:
    answer = {"start": "soon", "end": 3, "updated_at": "2026-12-10T09:00:00"}

    assert in_zone(answer, NEW_YORK) == answer


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "America", "", "../../etc/passwd"])
def test_an_unknown_zone_is_refused_naming_the_header(name: str) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        zone_named(name)

    assert refused.value.status == 422
    assert list(refused.value.errors or {}) == ["Timekit-Timezone"]
