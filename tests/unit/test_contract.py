"""The wire contract: which request bodies the client accepts, and how it names what is wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from pydantic import TypeAdapter

from api_client.contract import (
    ActionRequest,
    BookingBody,
    BookingQuery,
    CommandEnvelope,
    GroupCustomerBooking,
    GroupOwnerBooking,
    GroupsQuery,
    validate,
)
from api_client.errors import InvalidRequestError

BODY: TypeAdapter[Any] = TypeAdapter(BookingBody)
ACTION = TypeAdapter(ActionRequest)
BOOKING_QUERY = TypeAdapter(BookingQuery)
GROUPS_QUERY = TypeAdapter(GroupsQuery)
ENVELOPE = TypeAdapter(CommandEnvelope)

# The seed's class and Marty's seat booking.
CLASS_ID = "a1ebdd9d-db42-4cd3-a915-0202a034284a"
BOOKING_ID = "9d3fc349-5605-4bbf-a8fd-270fee55c137"
SEED_BODIES = [
    "owner_body",
    "owner_body_with_rules",
    "customer_body",
    "customer_body_with_two_seats",
]


def refusal(adapter: TypeAdapter[Any], data: Any) -> dict[str, list[str]]:
    """The field errors of a refused request, after checking it was refused as invalid."""
    with pytest.raises(InvalidRequestError) as refused:
        validate(adapter, data)
    assert refused.value.status == 422
    assert refused.value.errors is not None
    return refused.value.errors


# The seed's bodies ---------------------------------------------------------------------------


def test_the_seeds_class_body_is_accepted(owner_body: dict[str, Any]) -> None:
    booking = validate(BODY, owner_body)

    assert isinstance(booking, GroupOwnerBooking)
    assert booking.settings.max_seats == 20
    assert booking.event.start == datetime(2016, 9, 30, 8, 0, tzinfo=UTC)
    assert booking.event.end == datetime(2016, 9, 30, 9, 0, tzinfo=UTC)


def test_the_seeds_class_body_with_booking_rules_is_accepted(
    owner_body_with_rules: dict[str, Any],
) -> None:
    settings = validate(BODY, owner_body_with_rules).settings

    assert settings.min_cancel_time == "1 day"
    assert settings.min_booking_time == "2 hours"
    assert settings.max_booking_time == "14 days"


def test_the_seeds_seat_booking_body_is_accepted_for_one_seat(
    customer_body: dict[str, Any],
) -> None:
    booking = validate(BODY, customer_body)

    assert isinstance(booking, GroupCustomerBooking)
    assert booking.related.owner_booking_id == UUID(CLASS_ID)
    assert booking.customer.email == "marty@mcfly.example"
    assert booking.requested_seats == 1


def test_the_seeds_two_seat_body_is_accepted(
    customer_body_with_two_seats: dict[str, Any],
) -> None:
    booking = validate(BODY, customer_body_with_two_seats)

    assert booking.action == "create"
    assert booking.requested_seats == 2


@pytest.mark.parametrize("body_name", SEED_BODIES)
def test_a_body_the_client_sends_is_accepted_unchanged_by_the_worker(
    body_name: str, request: pytest.FixtureRequest
) -> None:
    sent = validate(BODY, request.getfixturevalue(body_name))

    assert validate(BODY, sent.model_dump(mode="json")) == sent


# Seats ---------------------------------------------------------------------------------------


def test_seats_may_be_given_at_the_top_level(customer_body: dict[str, Any]) -> None:
    assert validate(BODY, {**customer_body, "seats": 3}).requested_seats == 3


def test_seats_given_in_both_places_with_the_same_value_are_accepted(
    customer_body_with_two_seats: dict[str, Any],
) -> None:
    body = {**customer_body_with_two_seats, "seats": 2}

    assert validate(BODY, body).requested_seats == 2


def test_seats_given_in_both_places_with_different_values_are_refused(
    customer_body_with_two_seats: dict[str, Any],
) -> None:
    errors = refusal(BODY, {**customer_body_with_two_seats, "seats": 3})

    assert errors == {"seats": ["is given twice with different values (related.seats and seats)"]}


@pytest.mark.parametrize("seats", [0, -1])
def test_a_seat_booking_needs_at_least_one_seat(customer_body: dict[str, Any], seats: int) -> None:
    customer_body["related"]["seats"] = seats

    assert list(refusal(BODY, customer_body)) == ["related.seats"]


def test_top_level_seats_need_at_least_one_seat(customer_body: dict[str, Any]) -> None:
    assert list(refusal(BODY, {**customer_body, "seats": 0})) == ["seats"]


@pytest.mark.parametrize("seats", ["2", 2.0, True])
def test_seats_must_be_a_json_integer(customer_body: dict[str, Any], seats: object) -> None:
    customer_body["related"]["seats"] = seats

    assert list(refusal(BODY, customer_body)) == ["related.seats"]


@pytest.mark.parametrize("max_seats", [0, -1, 100_001])
def test_a_class_holds_between_one_and_a_hundred_thousand_seats(
    owner_body: dict[str, Any], max_seats: int
) -> None:
    owner_body["settings"]["max_seats"] = max_seats

    assert list(refusal(BODY, owner_body)) == ["settings.max_seats"]


@pytest.mark.parametrize("max_seats", ["20", 20.0, True])
def test_max_seats_must_be_a_json_integer_not_a_string_float_or_bool(
    owner_body: dict[str, Any], max_seats: object
) -> None:
    owner_body["settings"]["max_seats"] = max_seats

    assert list(refusal(BODY, owner_body)) == ["settings.max_seats"]


# Missing, unknown and malformed fields ----------------------------------------------------


@pytest.mark.parametrize(
    ("body_name", "path"),
    [
        ("owner_body", ("event", "start")),
        ("owner_body", ("event", "end")),
        ("owner_body", ("event", "what")),
        ("owner_body", ("event", "calendar_id")),
        ("owner_body", ("settings", "max_seats")),
        ("owner_body", ("settings",)),
        ("owner_body", ("event",)),
        ("customer_body", ("related",)),
        ("customer_body", ("customer",)),
        ("customer_body", ("customer", "name")),
        ("customer_body", ("customer", "email")),
    ],
)
def test_a_missing_field_is_named_by_its_dotted_path(
    body_name: str, path: tuple[str, ...], request: pytest.FixtureRequest
) -> None:
    body = request.getfixturevalue(body_name)
    parent = body
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]

    assert refusal(BODY, body) == {".".join(path): ["Field required"]}


@pytest.mark.parametrize("graph", ["group_teacher", "", None, 1])
def test_an_unknown_graph_is_refused_at_graph(customer_body: dict[str, Any], graph: object) -> None:
    errors = refusal(BODY, {**customer_body, "graph": graph})

    assert errors == {"graph": ["must be one of: group_owner, group_customer"]}


def test_a_body_without_a_graph_is_refused_at_graph(customer_body: dict[str, Any]) -> None:
    del customer_body["graph"]

    assert list(refusal(BODY, customer_body)) == ["graph"]


def test_a_body_that_is_not_an_object_is_refused_as_a_whole() -> None:
    assert list(refusal(BODY, "graph=group_owner")) == ["body"]


def test_an_unknown_top_level_field_is_refused_by_name(customer_body: dict[str, Any]) -> None:
    errors = refusal(BODY, {**customer_body, "colour": "blue"})

    assert errors == {"colour": ["Extra inputs are not permitted"]}


def test_an_unknown_nested_field_is_refused_by_its_dotted_path(
    owner_body: dict[str, Any],
) -> None:
    owner_body["settings"]["max_seat"] = 20

    assert refusal(BODY, owner_body) == {"settings.max_seat": ["Extra inputs are not permitted"]}


def test_a_seat_booking_takes_no_other_action_than_create(customer_body: dict[str, Any]) -> None:
    assert list(refusal(BODY, {**customer_body, "action": "cancel"})) == ["action"]


@pytest.mark.parametrize("owner_booking_id", ["not-a-uuid", "a1ebdd9d", 42, ""])
def test_a_malformed_owner_booking_id_is_refused(
    customer_body: dict[str, Any], owner_booking_id: object
) -> None:
    customer_body["related"]["owner_booking_id"] = owner_booking_id

    assert list(refusal(BODY, customer_body)) == ["related.owner_booking_id"]


@pytest.mark.parametrize("email", ["marty", "marty@", "@mcfly.example", "marty mcfly@example"])
def test_an_invalid_email_is_refused_at_customer_email(
    customer_body: dict[str, Any], email: str
) -> None:
    customer_body["customer"]["email"] = email

    assert list(refusal(BODY, customer_body)) == ["customer.email"]


@pytest.mark.parametrize(
    ("body_name", "path"),
    [
        ("owner_body", ("event", "what")),
        ("owner_body", ("event", "where")),
        ("owner_body", ("event", "description")),
        ("owner_body", ("event", "calendar_id")),
        ("customer_body", ("customer", "name")),
        ("customer_body", ("customer", "email")),
    ],
)
def test_an_absurdly_long_text_is_refused_at_its_field(
    body_name: str, path: tuple[str, str], request: pytest.FixtureRequest
) -> None:
    body = request.getfixturevalue(body_name)
    body[path[0]][path[1]] = "x" * 10_000

    assert list(refusal(BODY, body)) == [".".join(path)]


def test_a_blank_title_is_refused(owner_body: dict[str, Any]) -> None:
    owner_body["event"]["what"] = "   "

    assert list(refusal(BODY, owner_body)) == ["event.what"]


def test_auto_complete_must_be_a_json_boolean(owner_body: dict[str, Any]) -> None:
    owner_body["settings"]["auto_complete"] = "yes"

    assert list(refusal(BODY, owner_body)) == ["settings.auto_complete"]


def test_every_bad_field_is_reported_at_once(owner_body: dict[str, Any]) -> None:
    owner_body["event"]["start"] = "2026-09-30T08:00:00"
    owner_body["settings"]["max_seats"] = 0
    owner_body["colour"] = "blue"

    assert set(refusal(BODY, owner_body)) == {"event.start", "settings.max_seats", "colour"}


# Timestamps ----------------------------------------------------------------------------------


def test_a_timestamp_without_an_offset_is_refused_at_event_start(
    owner_body: dict[str, Any],
) -> None:
    owner_body["event"]["start"] = "2026-09-30T08:00:00"

    assert refusal(BODY, owner_body) == {"event.start": ["Input should have timezone info"]}


@pytest.mark.parametrize(
    "start", ["2016-09-31T08:00:00+00:00", "tomorrow", "30/09/2016 08:00", "", None]
)
def test_a_malformed_timestamp_is_refused_at_event_start(
    owner_body: dict[str, Any], start: object
) -> None:
    owner_body["event"]["start"] = start

    assert list(refusal(BODY, owner_body)) == ["event.start"]


@pytest.mark.parametrize("end", ["2016-09-30T08:00:00+00:00", "2016-09-30T07:00:00+00:00"])
def test_an_end_that_is_not_after_the_start_is_refused_at_event_end(
    owner_body: dict[str, Any], end: str
) -> None:
    owner_body["event"]["end"] = end

    assert refusal(BODY, owner_body) == {"event.end": ["must be later than start"]}


def test_an_end_equal_to_the_start_in_another_zone_is_refused(
    owner_body: dict[str, Any],
) -> None:
    owner_body["event"]["end"] = "2016-09-30T10:00:00+02:00"

    assert list(refusal(BODY, owner_body)) == ["event.end"]


def test_timestamps_with_an_offset_are_normalised_to_utc(owner_body: dict[str, Any]) -> None:
    owner_body["event"]["start"] = "2016-09-30T10:00:00+02:00"
    owner_body["event"]["end"] = "2016-09-30T11:00:00+02:00"

    event = validate(BODY, owner_body).event

    assert event.start == datetime(2016, 9, 30, 8, 0, tzinfo=UTC)
    assert event.start.tzinfo is UTC
    assert event.end.tzinfo is UTC
    assert event.start.hour == 8


# Durations in settings -----------------------------------------------------------------------


@pytest.mark.parametrize("setting", ["min_cancel_time", "min_booking_time", "max_booking_time"])
def test_an_unreadable_duration_is_refused_at_its_setting(
    owner_body_with_rules: dict[str, Any], setting: str
) -> None:
    owner_body_with_rules["settings"][setting] = "a while"

    errors = refusal(BODY, owner_body_with_rules)

    assert list(errors) == [f"settings.{setting}"]
    assert "cannot read 'a while' as a duration" in errors[f"settings.{setting}"][0]


def test_a_duration_over_ten_years_is_refused_at_its_setting(
    owner_body_with_rules: dict[str, Any],
) -> None:
    owner_body_with_rules["settings"]["max_booking_time"] = "3651 days"

    assert refusal(BODY, owner_body_with_rules) == {
        "settings.max_booking_time": ["must be at most 10 years"]
    }


@pytest.mark.parametrize("max_booking_time", ["2 hours", "120 minutes", "1 hour"])
def test_max_booking_time_must_be_longer_than_min_booking_time(
    owner_body_with_rules: dict[str, Any], max_booking_time: str
) -> None:
    owner_body_with_rules["settings"]["max_booking_time"] = max_booking_time

    assert refusal(BODY, owner_body_with_rules) == {
        "settings.max_booking_time": ["must be longer than min_booking_time"]
    }


def test_max_booking_time_alone_needs_no_min_booking_time(
    owner_body_with_rules: dict[str, Any],
) -> None:
    del owner_body_with_rules["settings"]["min_booking_time"]

    assert validate(BODY, owner_body_with_rules).settings.max_booking_time == "14 days"


# Actions -------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["cancel", "cancel_by_customer", "cancel_by_owner"])
def test_each_cancel_action_is_accepted_with_a_message(action: str) -> None:
    request = validate(
        ACTION, {"booking_id": BOOKING_ID, "action": action, "message": "Double booked. Sorry!"}
    )

    assert request.action == action
    assert request.booking_id == UUID(BOOKING_ID)


def test_an_action_may_come_without_a_message() -> None:
    request = validate(ACTION, {"booking_id": BOOKING_ID, "action": "cancel", "message": None})

    assert request.message is None


@pytest.mark.parametrize("action", ["create", "CANCEL", "confirm", ""])
def test_an_action_other_than_a_cancellation_or_completion_is_refused(action: str) -> None:
    errors = refusal(ACTION, {"booking_id": BOOKING_ID, "action": action})

    assert list(errors) == ["action"]


def test_an_action_message_of_two_thousand_characters_is_accepted() -> None:
    message = "x" * 2000

    request = validate(ACTION, {"booking_id": BOOKING_ID, "action": "cancel", "message": message})

    assert request.message == message


def test_an_action_message_over_two_thousand_characters_is_refused() -> None:
    errors = refusal(ACTION, {"booking_id": BOOKING_ID, "action": "cancel", "message": "x" * 2001})

    assert list(errors) == ["message"]


def test_an_action_on_a_malformed_booking_id_is_refused() -> None:
    assert list(refusal(ACTION, {"booking_id": "42", "action": "cancel"})) == ["booking_id"]


# Queries -------------------------------------------------------------------------------------


def test_a_booking_query_includes_nothing_by_default() -> None:
    assert validate(BOOKING_QUERY, {"booking_id": BOOKING_ID}).include == ()


def test_a_booking_query_accepts_each_include_value_as_a_json_list() -> None:
    include = ["attributes", "related_bookings", "logs"]

    query = validate(BOOKING_QUERY, {"booking_id": BOOKING_ID, "include": include})

    assert query.include == ("attributes", "related_bookings", "logs")


def test_an_unknown_include_value_is_refused_at_its_position() -> None:
    errors = refusal(
        BOOKING_QUERY, {"booking_id": BOOKING_ID, "include": ["attributes", "customers"]}
    )

    assert list(errors) == ["include.1"]


def test_a_groups_query_may_leave_start_and_end_open() -> None:
    query = validate(GROUPS_QUERY, {"start": None, "end": None})

    assert (query.start, query.end) == (None, None)


def test_a_groups_query_is_normalised_to_utc() -> None:
    query = validate(
        GROUPS_QUERY, {"start": "2016-09-30T02:00:00+02:00", "end": "2016-10-31T00:00:00Z"}
    )

    assert query.start == datetime(2016, 9, 30, 0, 0, tzinfo=UTC)
    assert query.start is not None and query.start.utcoffset() == timedelta(0)


@pytest.mark.parametrize("end", ["2016-09-30T00:00:00+00:00", "2016-09-29T00:00:00+00:00"])
def test_a_groups_query_end_must_be_later_than_its_start(end: str) -> None:
    errors = refusal(GROUPS_QUERY, {"start": "2016-09-30T00:00:00+00:00", "end": end})

    assert errors == {"end": ["must be later than start"]}


def test_a_groups_query_refuses_times_without_an_offset() -> None:
    assert list(refusal(GROUPS_QUERY, {"start": "2016-09-30T00:00:00"})) == ["start"]


# Idempotency keys ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key", ["a", "6b8a4b1d-2561-4f76-a834-a00bc2794454", "order:42/seat#1~!", "x" * 255]
)
def test_an_idempotency_key_of_printable_ascii_is_accepted(key: str) -> None:
    assert validate(ENVELOPE, {"idempotency_key": key}).idempotency_key == key


@pytest.mark.parametrize(
    "key", ["", " ", "order 42", "x" * 256, "clé", "abc\n", "\tabc", "abc\x00", 42, None]
)
def test_an_idempotency_key_that_is_empty_long_spaced_or_not_ascii_is_refused(
    key: object,
) -> None:
    assert list(refusal(ENVELOPE, {"idempotency_key": key})) == ["idempotency_key"]


def test_a_seat_booking_names_one_class_or_one_series_not_neither(
    customer_body: dict[str, Any],
) -> None:
    body = {**customer_body, "related": {}}

    assert refusal(BODY, body) == {
        "related": ["needs owner_booking_id (one class) or series_id (a term), not both"]
    }


# Found by the bad-input drill (tests/faults/bad_input.py): each crashed a worker or the client.


@pytest.mark.parametrize(
    "start",
    ["0001-01-01T00:30:00+00:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"],
)
def test_a_class_outside_the_years_bookings_can_be_about_is_refused(
    owner_body: dict[str, Any], start: str
) -> None:
    moment = datetime.fromisoformat(start)
    body = {**owner_body, "event": {**owner_body["event"], "start": start}}
    body["event"]["end"] = (
        (moment + timedelta(hours=1)).isoformat() if moment.year < 9999 else start
    )
    errors = refusal(BODY, body)
    assert "must be between 1970-01-01 and 9000-01-01" in errors["event.start"]


def test_a_nul_character_in_text_is_refused(owner_body: dict[str, Any]) -> None:
    body = {**owner_body, "event": {**owner_body["event"], "what": "Yoga\x00class"}}
    assert refusal(BODY, body) == {"event.what": ["must not contain NUL characters"]}
