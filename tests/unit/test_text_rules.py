"""Text that could break a message is refused at the contract: one-line fields hold no control
character, multi-line fields hold line breaks and nothing else of the kind (issue 15)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from api_client.contract import ActionRequest, BookingBody, validate
from api_client.contract.text import MULTI_LINE_MESSAGE, ONE_LINE_MESSAGE
from api_client.errors import InvalidRequestError
from harness.bodies import class_body, seat_body

BODY: TypeAdapter[Any] = TypeAdapter(BookingBody)
ACTION = TypeAdapter(ActionRequest)
CLASS_ID = "a1ebdd9d-db42-4cd3-a915-0202a034284a"

# A C0 control other than a line break, the escape that starts terminal sequences, DEL, a C1
# control (NEL, a line break to some readers), Unicode's line and paragraph separators, and a
# byte order mark.
CONTROLS = ["\t", "\x1b[31m", "\x7f", "\x85", "\u2028", "\u2029", "\x0b", "\ufeff"]
LINE_BREAKS = ["\r\n", "\n", "\r"]


def refusal(adapter: TypeAdapter[Any], data: Any) -> dict[str, list[str]]:
    with pytest.raises(InvalidRequestError) as refused:
        validate(adapter, data)
    assert refused.value.status == 422
    assert refused.value.errors is not None
    return refused.value.errors


def with_owner(name: str) -> dict[str, Any]:
    return {**class_body(), "owner": {"name": name, "email": "doc@hill-valley.example"}}


def with_event(field: str, value: str) -> dict[str, Any]:
    body = class_body()
    return {**body, "event": {**body["event"], field: value}}


def with_customer(**fields: Any) -> dict[str, Any]:
    body = seat_body(CLASS_ID)
    return {**body, "customer": {**body["customer"], **fields}}


ONE_LINE_FIELDS = {
    "customer.name": lambda text: with_customer(name=f"Marty{text}McFly"),
    "owner.name": lambda text: with_owner(f"Emmett{text}Brown"),
    "event.what": lambda text: with_event("what", f"Yoga{text}Class"),
    "event.where": lambda text: with_event("where", f"Hill{text}Valley"),
    "event.calendar_id": lambda text: with_event("calendar_id", f"cal{text}1"),
    "customer.phone": lambda text: with_customer(phone=f"555{text}0185"),
    "customer.shoe_size": lambda text: with_customer(shoe_size=["42", f"4{text}3"]),
}


@pytest.mark.parametrize("field", ONE_LINE_FIELDS)
@pytest.mark.parametrize("text", LINE_BREAKS + CONTROLS)
def test_a_one_line_field_refuses_line_breaks_and_control_characters(field: str, text: str) -> None:
    errors = refusal(BODY, ONE_LINE_FIELDS[field](text))

    assert errors == {field: [ONE_LINE_MESSAGE]}


def test_the_issues_customer_is_refused_rather_than_never_told() -> None:
    errors = refusal(BODY, with_customer(name="Marty\r\nBcc: evil@example.com"))

    assert errors == {"customer.name": [ONE_LINE_MESSAGE]}


def test_a_custom_field_name_is_one_line() -> None:
    errors = refusal(BODY, with_customer(**{"shoe\nsize": "42"}))

    assert errors == {"customer": [f"custom field names {ONE_LINE_MESSAGE}"]}


@pytest.mark.parametrize("text", LINE_BREAKS)
def test_descriptions_messages_and_booking_js_comments_keep_their_line_breaks(text: str) -> None:
    description = f"Name: Marty{text}Phone: 555-0185"

    klass = validate(BODY, with_event("description", description))
    seat = validate(BODY, with_customer(comment=f"Bringing{text}my own mat"))
    action = validate(ACTION, {"booking_id": CLASS_ID, "action": "cancel", "message": description})

    assert klass.event.description == description
    assert seat.customer.custom_fields["comment"] == f"Bringing{text}my own mat"
    assert action.message == description


@pytest.mark.parametrize("text", CONTROLS)
def test_multi_line_fields_refuse_every_other_control_character(text: str) -> None:
    description = refusal(BODY, with_event("description", f"Bring{text}a mat"))
    comment = refusal(BODY, with_customer(comment=f"Bring{text}a mat"))
    message = refusal(ACTION, {"booking_id": CLASS_ID, "action": "cancel", "message": f"a{text}b"})

    assert description == {"event.description": [MULTI_LINE_MESSAGE]}
    assert comment == {"customer.comment": [MULTI_LINE_MESSAGE]}
    assert message == {"message": [MULTI_LINE_MESSAGE]}


@pytest.mark.parametrize(
    "name",
    [
        "Marty McFly",
        "McFly, Marty",
        '"Doc" Brown',
        "José Ñúñez",
        "\u05de\u05e8\u05d8\u05d9 \u200fMcFly",  # Hebrew with a right-to-left mark
        "\u0645\u0627\u0631\u062a\u064a",  # Arabic
        "\U0001f9d8 Yogi",
        "Ma\u0301rty",  # a combining accent
    ],
)
def test_names_in_any_script_with_punctuation_and_direction_marks_are_accepted(name: str) -> None:
    seat = validate(BODY, with_customer(name=name))

    assert seat.customer.name == name


def test_a_lone_surrogate_is_refused_as_no_column_or_header_could_hold_it() -> None:
    errors = refusal(BODY, with_customer(name="Marty \ud800"))

    assert list(errors) == ["customer.name"]
