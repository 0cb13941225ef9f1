"""How each domain refusal reads on the wire: its status and Timekit error shape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from api_client.errors import BookingError, ConflictError, InvalidRequestError

from .domain.errors import DomainError, SeatsExceedClassError
from .domain.recurrence import RecurrenceError


def refusal_for(error: DomainError) -> BookingError:
    if isinstance(error, SeatsExceedClassError):
        return InvalidRequestError(errors={"seats": [str(error)]})
    if isinstance(error, RecurrenceError):
        return InvalidRequestError(errors={f"recurrence.{error.field}": [str(error)]})
    return ConflictError(str(error))


def result_or_refusal(call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The handler's result, or its refusal as an error result: a refusal is not a failure."""
    try:
        return call()
    except BookingError as refusal:
        return refusal.to_result()
    except DomainError as refusal:
        return refusal_for(refusal).to_result()
