"""One function per command or query: (command, *, deps, now) -> result dict."""

from .actions import apply_action
from .bookings import create_booking
from .bulk import bulk_create
from .deps import HandlerDeps
from .reads import get_booking, list_groups
from .series import cancel_series, create_series

__all__ = [
    "HandlerDeps",
    "apply_action",
    "bulk_create",
    "cancel_series",
    "create_booking",
    "create_series",
    "get_booking",
    "list_groups",
]
