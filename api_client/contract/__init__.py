"""The wire contract: request and response bodies, task names, durations."""

from . import tasks
from .durations import DurationFormatError, format_duration, parse_duration_s
from .recurrence import Recurrence
from .requests import (
    ActionRequest,
    BookingBody,
    BookingQuery,
    CommandEnvelope,
    GroupCustomerBooking,
    GroupOwnerBooking,
    GroupsQuery,
)
from .responses import BookingResponse, GroupListResponse
from .validation import field_errors, validate

__all__ = [
    "ActionRequest",
    "BookingBody",
    "BookingQuery",
    "BookingResponse",
    "CommandEnvelope",
    "DurationFormatError",
    "GroupCustomerBooking",
    "GroupListResponse",
    "GroupOwnerBooking",
    "GroupsQuery",
    "Recurrence",
    "field_errors",
    "format_duration",
    "parse_duration_s",
    "tasks",
    "validate",
]
