"""A thin client for group-bookings: validates Timekit-shaped bodies and enqueues them."""

from .client import BookingClient, PendingResult
from .errors import (
    BookingError,
    BusyError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    ResultTimeoutError,
    WorkerFailureError,
)

__all__ = [
    "BookingClient",
    "BookingError",
    "BusyError",
    "ConflictError",
    "InvalidRequestError",
    "NotFoundError",
    "PendingResult",
    "ResultTimeoutError",
    "WorkerFailureError",
]
