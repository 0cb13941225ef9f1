"""The one exception tree of the client.

BookingError                 anything refused or unanswered; .status, .errors, .message
├── InvalidRequestError      422: the input is malformed; .errors maps field -> [messages]
├── NotFoundError            404: no booking with that id
├── ConflictError            409: refused by the booking's state, window or seats
├── BusyError                503: the class stayed locked through every retry
├── ResultTimeoutError       504: no result within the client's timeout (it may still apply)
└── WorkerFailureError       500: the worker failed unexpectedly
"""

from __future__ import annotations

from typing import Any


class BookingError(Exception):
    """A command or query that was refused or could not be answered."""

    status: int = 400

    def __init__(
        self,
        message: str | None = None,
        *,
        errors: dict[str, list[str]] | None = None,
        status: int | None = None,
    ) -> None:
        if status is not None:
            self.status = status
        self.errors = errors
        self.message = message if message is not None else _summary(errors)
        super().__init__(self.message)

    def to_result(self) -> dict[str, Any]:
        """The error in Timekit's shape, with its HTTP-style status."""
        if self.errors is not None:
            return {"status": self.status, "errors": self.errors}
        return {"status": self.status, "error": self.message}

    @classmethod
    def from_result(cls, result: dict[str, Any]) -> BookingError:
        """The exception a worker's error result stands for."""
        status = int(result.get("status", 400))
        error_class = _BY_STATUS.get(status, BookingError)
        return error_class(result.get("error"), errors=result.get("errors"), status=status)


class InvalidRequestError(BookingError):
    """The input is malformed: a field is missing, mistyped or out of range."""

    status = 422


class NotFoundError(BookingError):
    """No booking has that id."""

    status = 404


class ConflictError(BookingError):
    """The booking's state, window or free seats refuse the command."""

    status = 409


class BusyError(BookingError):
    """The class stayed locked by other workers through every retry."""

    status = 503


class ResultTimeoutError(BookingError):
    """No result arrived in time; the command may still be applied later."""

    status = 504


class WorkerFailureError(BookingError):
    """The worker failed in an unexpected way."""

    status = 500


_BY_STATUS: dict[int, type[BookingError]] = {
    error_class.status: error_class
    for error_class in (
        InvalidRequestError,
        NotFoundError,
        ConflictError,
        BusyError,
        ResultTimeoutError,
        WorkerFailureError,
    )
}


def _summary(errors: dict[str, list[str]] | None) -> str:
    if not errors:
        return "request refused"
    return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items())
