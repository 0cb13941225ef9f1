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
    BookingResponse,
    CommandEnvelope,
    GroupCustomerBooking,
    GroupOwnerBooking,
    GroupsQuery,
    tasks,
    validate,
)
from api_client.contract.requests import MoveRequest, SetMaxSeatsRequest
from api_client.errors import InvalidRequestError

BODY: TypeAdapter[Any] = TypeAdapter(BookingBody)
ACTION = TypeAdapter(ActionRequest)
BOOKING_QUERY = TypeAdapter(BookingQuery)
GROUPS_QUERY = TypeAdapter(GroupsQuery)
ENVELOPE = TypeAdapter(CommandEnvelope)
MOVE = TypeAdapter(MoveRequest)
SET_MAX_SEATS = TypeAdapter(SetMaxSeatsRequest)
RESPONSE = TypeAdapter(BookingResponse)

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
        BOOKING_QUERY, {"booking_id": BOOKING_ID, "include": ["attributes", "customer"]}
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


# The waitlist: class settings ----------------------------------------------------------------


def test_a_class_has_no_waitlist_and_promotes_automatically_by_default(
    owner_body: dict[str, Any],
) -> None:
    settings = validate(BODY, owner_body).settings

    assert settings.waitlist_size == 0
    assert settings.waitlist_promotion == "automatic"
    assert settings.offer_time == "2 hours"


def test_a_class_with_a_waitlist_that_offers_freed_seats_for_thirty_minutes_is_accepted(
    owner_body: dict[str, Any],
) -> None:
    owner_body["settings"].update(
        waitlist_size=10, waitlist_promotion="offer", offer_time="30 minutes"
    )

    settings = validate(BODY, owner_body).settings

    assert (settings.waitlist_size, settings.waitlist_promotion) == (10, "offer")
    assert settings.offer_time == "30 minutes"


@pytest.mark.parametrize("size", [-1, 100_001, "10", 10.0, True, None])
def test_a_waitlist_size_must_be_a_json_integer_from_zero_to_a_hundred_thousand(
    owner_body: dict[str, Any], size: object
) -> None:
    owner_body["settings"]["waitlist_size"] = size

    assert list(refusal(BODY, owner_body)) == ["settings.waitlist_size"]


@pytest.mark.parametrize("mode", ["manual", "Automatic", "", None, 1])
def test_an_unknown_promotion_mode_is_refused_at_its_setting(
    owner_body: dict[str, Any], mode: object
) -> None:
    owner_body["settings"]["waitlist_promotion"] = mode

    assert list(refusal(BODY, owner_body)) == ["settings.waitlist_promotion"]


def test_an_unreadable_offer_time_is_refused_at_its_setting(owner_body: dict[str, Any]) -> None:
    owner_body["settings"]["offer_time"] = "a while"

    errors = refusal(BODY, owner_body)

    assert list(errors) == ["settings.offer_time"]
    assert "cannot read 'a while' as a duration" in errors["settings.offer_time"][0]


@pytest.mark.parametrize("offer_time", ["0 seconds", "367 days"])
def test_an_offer_time_under_a_second_or_over_366_days_is_refused(
    owner_body: dict[str, Any], offer_time: str
) -> None:
    owner_body["settings"]["offer_time"] = offer_time

    assert refusal(BODY, owner_body) == {
        "settings.offer_time": ["must be between 1 second and 366 days"]
    }


# The waitlist: seat bookings that may wait ---------------------------------------------------


def test_a_seat_booking_does_not_wait_unless_it_asks_to(customer_body: dict[str, Any]) -> None:
    assert validate(BODY, customer_body).waitlist is False
    assert validate(BODY, {**customer_body, "waitlist": True}).waitlist is True


@pytest.mark.parametrize("waitlist", ["true", 1, None])
def test_waitlist_must_be_a_json_boolean(customer_body: dict[str, Any], waitlist: object) -> None:
    assert list(refusal(BODY, {**customer_body, "waitlist": waitlist})) == ["waitlist"]


def test_a_term_booking_cannot_wait(customer_body: dict[str, Any]) -> None:
    body = {**customer_body, "related": {"series_id": CLASS_ID}, "waitlist": True}

    assert refusal(BODY, body) == {
        "waitlist": ["applies to one class (owner_booking_id), not to a term"]
    }


def test_a_class_body_takes_no_waitlist_flag(owner_body: dict[str, Any]) -> None:
    assert list(refusal(BODY, {**owner_body, "waitlist": True})) == ["waitlist"]


# The waitlist: offers, moves and capacity changes --------------------------------------------


@pytest.mark.parametrize("action", ["accept_offer", "decline_offer"])
def test_accepting_or_declining_an_offer_is_an_action_with_an_optional_message(
    action: str,
) -> None:
    request = validate(ACTION, {"booking_id": BOOKING_ID, "action": action, "message": "Yes!"})

    assert (request.action, request.message) == (action, "Yes!")


@pytest.mark.parametrize("action", ["move", "set_max_seats", "offer", "promote", "expire_offer"])
def test_moves_capacity_changes_and_the_systems_own_actions_are_not_plain_actions(
    action: str,
) -> None:
    assert list(refusal(ACTION, {"booking_id": BOOKING_ID, "action": action})) == ["action"]


def test_a_move_names_the_booking_and_the_class_it_moves_to() -> None:
    request = validate(
        MOVE, {"booking_id": BOOKING_ID, "owner_booking_id": CLASS_ID, "message": "Saturday"}
    )

    assert (request.booking_id, request.owner_booking_id) == (UUID(BOOKING_ID), UUID(CLASS_ID))
    assert request.message == "Saturday"


@pytest.mark.parametrize("owner_booking_id", [None, "not-a-uuid", 42])
def test_a_move_needs_a_well_formed_class_id(owner_booking_id: object) -> None:
    errors = refusal(MOVE, {"booking_id": BOOKING_ID, "owner_booking_id": owner_booking_id})

    assert list(errors) == ["owner_booking_id"]


def test_a_move_without_a_class_names_the_missing_field() -> None:
    assert refusal(MOVE, {"booking_id": BOOKING_ID}) == {"owner_booking_id": ["Field required"]}


def test_a_booking_cannot_be_moved_into_itself() -> None:
    errors = refusal(MOVE, {"booking_id": BOOKING_ID, "owner_booking_id": BOOKING_ID})

    assert errors == {"owner_booking_id": ["must be a class, not the booking moved"]}


def test_a_move_message_over_two_thousand_characters_is_refused() -> None:
    request = {"booking_id": BOOKING_ID, "owner_booking_id": CLASS_ID, "message": "x" * 2001}

    assert list(refusal(MOVE, request)) == ["message"]


def test_a_capacity_change_names_the_class_and_its_new_seats() -> None:
    request = validate(SET_MAX_SEATS, {"booking_id": CLASS_ID, "max_seats": 25})

    assert (request.booking_id, request.max_seats, request.message) == (UUID(CLASS_ID), 25, None)


@pytest.mark.parametrize("max_seats", [0, -1, 100_001, "25", 25.0, True, None])
def test_a_capacity_change_takes_one_to_a_hundred_thousand_seats_as_a_json_integer(
    max_seats: object,
) -> None:
    errors = refusal(SET_MAX_SEATS, {"booking_id": CLASS_ID, "max_seats": max_seats})

    assert list(errors) == ["max_seats"]


@pytest.mark.parametrize(
    ("name", "task"),
    [
        (tasks.MOVE_BOOKING, "bookings.move_booking"),
        (tasks.SET_MAX_SEATS, "bookings.set_max_seats"),
    ],
)
def test_moves_and_capacity_changes_are_keyed_commands(name: str, task: str) -> None:
    assert name == task
    assert tasks.TASKS[name].keyed


def test_a_booking_query_may_include_the_waitlist() -> None:
    query = validate(BOOKING_QUERY, {"booking_id": CLASS_ID, "include": ["attributes", "waitlist"]})

    assert query.include == ("attributes", "waitlist")


# The waitlist: what the worker answers -------------------------------------------------------


def class_response(**data: Any) -> dict[str, Any]:
    """A class as the worker shows it with attributes, its line's counts and settings."""
    return {
        "id": CLASS_ID,
        "graph": "group_owner",
        "state": "tentative",
        "completed": False,
        "available_actions": ["cancel", "complete", "set_max_seats"],
        "created_at": "2016-09-01T12:00:00+00:00",
        "updated_at": "2016-09-01T12:00:00+00:00",
        "attributes": {
            "event_info": {
                "start": "2016-09-30T08:00:00+00:00",
                "end": "2016-09-30T09:00:00+00:00",
                "what": "Doc Brown's Friday Yoga Class",
                "where": None,
                "calendar_id": "studio-1",
                "description": None,
            },
            "group_booking": {
                "current_seats": 18,
                "max_seats": 20,
                "waitlist_seats": 3,
                "offered_seats": 2,
                "waitlist_size": 10,
            },
        },
        **data,
    }


def line_entry(state: str, **place: Any) -> dict[str, Any]:
    return {
        "id": BOOKING_ID,
        "state": state,
        "seats": 2,
        "customer": {"name": "Marty McFly", "email": "marty@mcfly.example"},
        "created_at": "2016-09-01T12:00:00+00:00",
        **place,
    }


def test_a_class_response_shows_its_line_in_order_with_a_position_or_an_offers_end() -> None:
    body = class_response(
        waitlist=[
            line_entry("offered", offer_expires_at="2016-09-29T10:00:00+00:00"),
            line_entry("waitlisted", position=1),
        ]
    )

    booking = validate(RESPONSE, {"data": body}).data

    counts = booking.attributes.group_booking if booking.attributes else None
    assert counts is not None and (counts.waitlist_seats, counts.offered_seats) == (3, 2)
    assert booking.waitlist is not None
    assert [entry.state for entry in booking.waitlist] == ["offered", "waitlisted"]
    assert booking.waitlist[0].offer_expires_at == datetime(2016, 9, 29, 10, 0, tzinfo=UTC)
    assert booking.waitlist[1].position == 1


def test_a_line_entry_is_waiting_or_offered_nothing_else() -> None:
    body = class_response(waitlist=[line_entry("confirmed", position=1)])

    assert list(refusal(RESPONSE, {"data": body})) == ["data.waitlist.0.state"]


def test_a_class_response_without_its_waitlist_counts_is_refused() -> None:
    body = class_response()
    del body["attributes"]["group_booking"]["waitlist_size"]

    errors = refusal(RESPONSE, {"data": body})

    assert errors["data.attributes.group_booking.ClassSeats.waitlist_size"] == ["Field required"]


# Timekit's clients' bodies (issue 12) ----------------------------------------------------------

# A class as Timekit's current reference sends it: the event's fields at the top level.
FLAT_CLASS = {
    "graph": "group_owner",
    "action": "create",
    "resource_id": "d187d6e0-d6cb-409a-ae60-45a8fd0ec879",
    "project_id": "b2c1e3a4-0000-4000-8000-000000000001",
    "start": "2016-09-30T08:00:00+00:00",
    "end": "2016-09-30T09:00:00+00:00",
    "what": "Doc Brown's Friday Yoga Class",
    "where": "Sesame St, Middleburg, FL 32068, USA",
    "calendar_id": "replace-with-id",
    "description": "Please arrive 10 minutes before classes begin",
    "settings": {"max_seats": 20},
    "meta": {"room": "B", "mats": 20, "beginners": True},
}


def booking_js_seat_body() -> dict[str, Any]:
    """What booking.js posts for a group_customer seat, field for field.

    From timekit-io/booking-js src/pages/booking.js (timekitCreateBooking): start and end as
    moment's format() in the visitor's zone, the customer with their zone, each form field on
    the customer (phone, comment, a checkbox as a boolean, a multiple choice as a list),
    description as the form in text, what and where made up when no project is set,
    resource_id from the class, related.owner_booking_id, and the `booking` config merged in.
    """
    return {
        "description": "Name: Marty McFly\nEmail: marty@mcfly.example\nPhone: 555-0185\n",
        "end": "2016-09-30T05:00:00-04:00",
        "start": "2016-09-30T04:00:00-04:00",
        "customer": {
            "name": "Marty McFly",
            "email": "marty@mcfly.example",
            "timezone": "America/New_York",
            "phone": "555-0185",
            "comment": "Bringing my own mat",
            "newsletter": False,
            "styles": ["hatha", "yin"],
        },
        "where": "TBD",
        "what": "Meeting with Marty McFly",
        "resource_id": "d187d6e0-d6cb-409a-ae60-45a8fd0ec879",
        "related": {"owner_booking_id": CLASS_ID},
        "graph": "group_customer",
        "action": "create",
    }


def test_a_class_with_its_event_at_the_top_level_is_the_same_class(
    owner_body: dict[str, Any],
) -> None:
    flat = validate(BODY, FLAT_CLASS)
    nested = validate(BODY, owner_body)

    assert isinstance(flat, GroupOwnerBooking)
    assert flat.event == nested.event
    assert (flat.resource_id, flat.meta) == (FLAT_CLASS["resource_id"], FLAT_CLASS["meta"])


def test_a_flat_class_is_sent_to_the_worker_with_its_event_nested() -> None:
    sent = validate(BODY, FLAT_CLASS).model_dump(mode="json")

    assert "start" not in sent
    assert sent["event"]["what"] == "Doc Brown's Friday Yoga Class"
    assert validate(BODY, sent) == validate(BODY, FLAT_CLASS)


def test_a_class_with_its_event_both_nested_and_flat_is_refused(
    owner_body: dict[str, Any],
) -> None:
    errors = refusal(BODY, {**owner_body, "start": owner_body["event"]["start"]})

    assert errors == {"event": ["is given twice: under event and at the top level (start)"]}


def test_a_flat_class_names_its_bad_fields_where_the_body_put_them() -> None:
    body = {**FLAT_CLASS, "end": "2016-09-30T07:00:00+00:00"}
    del body["what"]

    assert refusal(BODY, body) == {
        "end": ["must be later than start"],
        "what": ["Field required"],
    }


def test_booking_js_seat_body_is_accepted_with_its_customer_fields_kept() -> None:
    booking = validate(BODY, booking_js_seat_body())

    assert isinstance(booking, GroupCustomerBooking)
    assert booking.start == datetime(2016, 9, 30, 8, 0, tzinfo=UTC)
    assert booking.customer.timezone == "America/New_York"
    assert booking.customer.phone == "555-0185"
    assert booking.customer.custom_fields == {
        "comment": "Bringing my own mat",
        "newsletter": False,
        "styles": ["hatha", "yin"],
    }
    assert validate(BODY, booking.model_dump(mode="json")) == booking


def test_a_customer_zone_must_be_an_iana_zone() -> None:
    body = booking_js_seat_body()
    body["customer"]["timezone"] = "Eastern Time"

    assert refusal(BODY, body) == {
        "customer.timezone": ["is not an IANA time zone, such as Europe/Oslo"]
    }


@pytest.mark.parametrize(
    ("custom", "field", "message"),
    [
        ({"address": {"street": "x"}}, "customer.address", "a number or a boolean"),
        ({"notes": "x" * 1001}, "customer.notes", "at most 1000 characters"),
        ({"styles": ["a", 1]}, "customer.styles", "a list of at most 50 strings"),
        ({f"field{i}": "x" for i in range(21)}, "customer", "at most 20 custom fields"),
        ({"k" * 101: "x"}, "customer", "at most 100 characters"),
    ],
)
def test_custom_customer_fields_are_bounded(
    custom: dict[str, Any], field: str, message: str
) -> None:
    body = booking_js_seat_body()
    body["customer"] = {"name": "Marty McFly", "email": "marty@mcfly.example", **custom}

    errors = refusal(BODY, body)

    assert list(errors) == [field]
    assert message in errors[field][0]


@pytest.mark.parametrize(
    ("meta", "field"),
    [
        ({"nested": {"a": 1}}, "meta.nested"),
        ({"list": ["a"]}, "meta.list"),
        ({"long": "x" * 1001}, "meta.long"),
        ({"huge": 2**60}, "meta.huge"),
        ({"none": None}, "meta.none"),
        ({f"k{i}": i for i in range(51)}, "meta"),
        ({"k" * 101: 1}, "meta.k" + "k" * 100 + ".[key]"),
    ],
)
def test_meta_is_a_small_object_of_scalars(meta: dict[str, Any], field: str) -> None:
    assert list(refusal(BODY, {**FLAT_CLASS, "meta": meta})) == [field]


def test_meta_is_kept_as_sent() -> None:
    meta = {" spaced key ": " value ", "price": 12.5, "seats": 3, "paid": False}

    assert validate(BODY, {**FLAT_CLASS, "meta": meta}).meta == meta


def test_start_and_end_on_a_term_booking_are_refused() -> None:
    body = booking_js_seat_body()
    body["related"] = {"series_id": CLASS_ID}

    assert list(refusal(BODY, body)) == ["start", "end"]


@pytest.mark.parametrize("field", ["color", "customers", "event_info"])
def test_unknown_top_level_fields_are_still_refused(field: str) -> None:
    assert list(refusal(BODY, {**booking_js_seat_body(), field: "x"})) == [field]
    assert list(refusal(BODY, {**FLAT_CLASS, field: "x"})) == [field]


def test_timekits_include_values_are_accepted() -> None:
    include = ["attributes", "customers", "event", "calendar", "user"]

    query = validate(BOOKING_QUERY, {"booking_id": BOOKING_ID, "include": include})

    assert query.include == tuple(include)


# A class's zone -------------------------------------------------------------------------------


def test_a_class_may_carry_its_iana_zone(owner_body: dict[str, Any]) -> None:
    owner_body["event"]["timezone"] = "Europe/Oslo"

    booking = validate(BODY, owner_body)

    assert isinstance(booking, GroupOwnerBooking)
    assert booking.event.timezone == "Europe/Oslo"


def test_a_class_without_a_zone_has_none(owner_body: dict[str, Any]) -> None:
    booking = validate(BODY, owner_body)

    assert isinstance(booking, GroupOwnerBooking)
    assert booking.event.timezone is None


@pytest.mark.parametrize("zone", ["Oslo time", "CEST+1", "Europe/Atlantis", ""])
def test_a_class_zone_must_be_an_iana_zone(owner_body: dict[str, Any], zone: str) -> None:
    owner_body["event"]["timezone"] = zone

    errors = refusal(BODY, owner_body)

    assert list(errors) == ["event.timezone"]


def test_a_flat_class_gives_its_zone_at_the_top_level_too() -> None:
    booking = validate(BODY, {**FLAT_CLASS, "timezone": "Europe/Oslo"})

    assert isinstance(booking, GroupOwnerBooking)
    assert booking.event.timezone == "Europe/Oslo"
