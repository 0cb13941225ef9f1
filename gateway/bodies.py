"""Request bodies read as JSON whatever their Content-Type, and the HTTP-only wrappers."""

from __future__ import annotations

import json
from typing import Annotated, Any, TypeVar

from fastapi import Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from api_client import BookingError, InvalidRequestError
from api_client.contract import BookingBody, field_errors

MAX_BODY_BYTES = 1_000_000
M = TypeVar("M", bound=BaseModel)


class BadBodyError(BookingError):
    """The body is not JSON at all (400), rather than JSON with bad fields (422)."""

    status = 400


class ActionMessage(BaseModel):
    """What an action's key holds: `{"cancel": {"message": "..."}}`."""

    model_config = ConfigDict(extra="forbid")
    message: str | None = None


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


def parsed_as(model: type[M], data: Any, prefix: str = "") -> M:
    """`data` as a gateway wrapper model, or a 422 naming each field under `prefix`."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        errors = {
            f"{prefix}.{field}" if prefix and field != "body" else (prefix or field): messages
            for field, messages in field_errors(error).items()
        }
        raise InvalidRequestError(errors=errors) from None
