"""Request bodies read as JSON whatever their Content-Type, and the HTTP-only wrappers."""

from __future__ import annotations

import json
from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import Request
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from api_client import BookingError, InvalidRequestError
from api_client.contract import BookingBody, field_errors
from api_client.contract.requests import Message, SeatCount

MAX_BODY_BYTES = 1_000_000
M = TypeVar("M", bound=BaseModel)


class BadBodyError(BookingError):
    """The body is not JSON at all (400), rather than JSON with bad fields (422)."""

    status = 400


class ActionMessage(BaseModel):
    """What an action's key holds: `{"cancel": {"message": "..."}}`."""

    model_config = ConfigDict(extra="forbid")
    message: str | None = None


class MoveOptions(ActionMessage):
    """`{"move": {"owner_booking_id": "<class>", "message": "..."}}`: the class moved to."""

    # The contract's types, checked here so that a bad field is named under `move.`; the
    # booking in the path comes in as the validation context.
    owner_booking_id: UUID
    message: Message | None = None

    @field_validator("owner_booking_id")
    @classmethod
    def _another_booking(cls, owner_booking_id: UUID, info: ValidationInfo) -> UUID:
        if owner_booking_id == _uuid_or_none((info.context or {}).get("booking_id")):
            raise ValueError("must be a class, not the booking moved")
        return owner_booking_id


class SetMaxSeatsOptions(ActionMessage):
    """`{"set_max_seats": {"max_seats": 25, "message": "..."}}`."""

    max_seats: SeatCount
    message: Message | None = None


# What each action's key holds; the others take at most a message.
ACTION_OPTIONS: dict[str, type[ActionMessage]] = {
    "move": MoveOptions,
    "set_max_seats": SetMaxSeatsOptions,
}


class SeriesCancelOptions(ActionMessage):
    """`{"cancel": {"message": "...", "from": "..."}}` for a series."""

    from_: AwareDatetime | None = Field(default=None, alias="from")


class SeriesCancelBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cancel: SeriesCancelOptions = SeriesCancelOptions()


class BulkBody(BaseModel):
    """Timekit's POST /bookings/bulk; the client checks each item and names it if refused."""

    model_config = ConfigDict(extra="forbid")
    bookings: Annotated[list[dict[str, Any]], Field(min_length=1)]
    all_or_nothing: bool = True


class BulkSchema(BulkBody):
    """The same body as the OpenAPI document describes it: each item a booking body."""

    bookings: Annotated[list[BookingBody], Field(min_length=1)]  # type: ignore[assignment]


async def json_object(request: Request, *, required: bool = True) -> dict[str, Any]:
    """The body as a JSON object; curl's --data labels JSON form-urlencoded, so the label is
    ignored. An empty optional body is `{}`."""
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise BadBodyError(f"the body is larger than {MAX_BODY_BYTES} bytes", status=413)
    if not raw.strip():
        if required:
            raise InvalidRequestError(errors={"body": ["is required: a JSON object"]})
        return {}
    try:
        parsed = json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise BadBodyError(f"the body is not valid JSON: {error}") from None
    if not isinstance(parsed, dict):
        raise InvalidRequestError(errors={"body": ["must be a JSON object"]})
    return parsed


def action_options(action: str, booking_id: str, body: dict[str, Any]) -> ActionMessage:
    """What `{action: {...}}` holds for the action in the path, or a 422 naming each field under
    the action (`move.owner_booking_id`); an empty body or key is an action without options."""
    others = sorted(set(body) - {action})
    if others:
        mismatch = {key: [f"is not the action in the path ({action})"] for key in others}
        raise InvalidRequestError(errors=mismatch)
    model = ACTION_OPTIONS.get(action, ActionMessage)
    context = {"booking_id": booking_id}
    return parsed_as(model, body.get(action) or {}, prefix=action, context=context)


def parsed_as(
    model: type[M], data: Any, prefix: str = "", context: dict[str, Any] | None = None
) -> M:
    """`data` as a gateway wrapper model, or a 422 naming each field under `prefix`."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError as error:
        errors = {
            f"{prefix}.{field}" if prefix and field != "body" else (prefix or field): messages
            for field, messages in field_errors(error).items()
        }
        raise InvalidRequestError(errors=errors) from None


def _uuid_or_none(value: Any) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None
