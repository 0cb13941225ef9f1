"""Running a class in the contract and the settings: track_attendance, late_cancel, check_in,
the new includes, BOOKINGS_CHECK_IN_OPENS; bad input is refused at its field."""

from __future__ import annotations

import os
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from api_client.contract.requests import ActionRequest, BookingBody, BookingQuery
from api_client.contract.validation import validate as validated
from api_client.errors import InvalidRequestError
from worker.config import Settings

BODY: TypeAdapter[Any] = TypeAdapter(BookingBody)
BOOKING_ID = "6f2f0a45-44a6-4bb6-a3b6-7d1c5e5b8c4e"


def refusal(adapter: TypeAdapter[Any], data: Any) -> dict[str, list[str]]:
    with pytest.raises(InvalidRequestError) as refused:
        validated(adapter, data)
    assert refused.value.status == 422 and refused.value.errors is not None
    return refused.value.errors


def test_a_class_tracks_no_attendance_and_refuses_late_cancels_by_default(
    owner_body: dict[str, Any],
) -> None:
    settings = validated(BODY, owner_body).settings

    assert (settings.track_attendance, settings.late_cancel) == (False, "refuse")


def test_a_class_that_tracks_attendance_and_allows_late_cancels_is_accepted(
    owner_body: dict[str, Any],
) -> None:
    owner_body["settings"].update(track_attendance=True, late_cancel="allow")

    settings = validated(BODY, owner_body).settings

    assert (settings.track_attendance, settings.late_cancel) == (True, "allow")


@pytest.mark.parametrize("value", ["true", 1, None, "yes"])
def test_track_attendance_must_be_a_json_boolean(owner_body: dict[str, Any], value: object) -> None:
    owner_body["settings"]["track_attendance"] = value

    assert list(refusal(BODY, owner_body)) == ["settings.track_attendance"]


@pytest.mark.parametrize("value", ["charge", "Allow", "", None, True])
def test_an_unknown_late_cancel_policy_is_refused_at_its_setting(
    owner_body: dict[str, Any], value: object
) -> None:
    owner_body["settings"]["late_cancel"] = value

    assert list(refusal(BODY, owner_body)) == ["settings.late_cancel"]


def test_check_in_is_an_action_with_an_optional_message() -> None:
    request = validated(
        TypeAdapter(ActionRequest), {"booking_id": BOOKING_ID, "action": "check_in"}
    )

    assert (request.action, request.message) == ("check_in", None)


def test_attendance_and_cancel_policy_may_be_included() -> None:
    query = {"booking_id": BOOKING_ID, "include": ["attendance", "cancel_policy"]}

    assert validated(TypeAdapter(BookingQuery), query).include == ("attendance", "cancel_policy")


@pytest.fixture
def no_bookings_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("BOOKINGS_"):
            monkeypatch.delenv(name)


def test_check_in_opens_an_hour_before_the_start_unless_set(no_bookings_environment: None) -> None:
    assert Settings(_env_file=None).check_in_opens_s == 3600
    assert Settings(_env_file=None, check_in_opens="15 minutes").check_in_opens_s == 900


def test_an_unreadable_check_in_opening_stops_the_worker_with_its_name(
    no_bookings_environment: None,
) -> None:
    with pytest.raises(ValidationError, match="check_in_opens"):
        Settings(_env_file=None, check_in_opens="an hour or so")
