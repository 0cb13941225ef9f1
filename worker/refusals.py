"""How each refusal reads on the wire: the one place the worker meets `api_client.errors`."""

from __future__ import annotations

from typing import Any

from api_client.errors import (
    BookingError,
    BusyError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
)

from .domain import errors
from .domain.recurrence import RecurrenceError


def wire_error(refusal: errors.DomainError) -> BookingError:
    """The client's exception, with Timekit's status and shape, that stands for `refusal`."""
    if isinstance(refusal, errors.InvalidCommandError):
        return InvalidRequestError(refusal.message, errors=refusal.errors)
    if isinstance(refusal, errors.SeatsExceedClassError):
        return InvalidRequestError(errors={"seats": [str(refusal)]})
    if isinstance(refusal, RecurrenceError):
        return InvalidRequestError(errors={f"recurrence.{refusal.field}": [str(refusal)]})
    if isinstance(refusal, errors.NotFoundError):
        return NotFoundError(str(refusal))
    if isinstance(refusal, errors.ClassBusyError):
        return BusyError("the class is busy with other bookings; try again shortly")
    if isinstance(refusal, errors.ItemRefusedError):
        return _of_item(refusal.index, wire_error(refusal.cause))
    return ConflictError(str(refusal))


def refusal_result(refusal: errors.DomainError) -> dict[str, Any]:
    """A refusal as the result a task answers: a normal result, not a task failure."""
    return wire_error(refusal).to_result()


def _of_item(index: int, refusal: BookingError) -> BookingError:
    message = f"item {index} was refused, so nothing was applied: {refusal.message}"
    item_errors = None
    if refusal.errors is not None:
        item_errors = {f"items.{index}.{field}": texts for field, texts in refusal.errors.items()}
    return type(refusal)(message, errors=item_errors, status=refusal.status)
