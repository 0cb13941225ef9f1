"""How each domain refusal reads on the wire: its status and Timekit error shape."""

from __future__ import annotations

from api_client.errors import BookingError, ConflictError, InvalidRequestError

from .domain.errors import DomainError, SeatsExceedClassError


def refusal_for(error: DomainError) -> BookingError:
    if isinstance(error, SeatsExceedClassError):
        return InvalidRequestError(errors={"seats": [str(error)]})
    return ConflictError(str(error))
