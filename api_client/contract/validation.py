"""Turning pydantic's validation errors into Timekit's {"errors": {field: [message]}}."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from ..errors import InvalidRequestError

Model = TypeVar("Model")

_GRAPH_TAGS = {"group_owner", "group_customer"}


def field_errors(error: ValidationError) -> dict[str, list[str]]:
    """Pydantic errors keyed by dotted field path, messages without pydantic's prefixes."""
    collected: dict[str, list[str]] = {}
    for detail in error.errors(include_url=False):
        location = [str(part) for part in detail["loc"]]
        if location and location[0] in _GRAPH_TAGS:
            location = location[1:]
        if detail["type"] in ("union_tag_invalid", "union_tag_not_found"):
            field, message = "graph", "must be one of: group_owner, group_customer"
        else:
            field = ".".join(location) or "body"
            message = str(detail["msg"]).removeprefix("Value error, ")
        collected.setdefault(field, []).append(message)
    return collected


def validate(adapter: TypeAdapter[Model], data: Any) -> Model:
    """`data` as the contract's type, or an InvalidRequestError naming each bad field."""
    try:
        return adapter.validate_python(data)
    except ValidationError as error:
        raise InvalidRequestError(errors=field_errors(error)) from None
