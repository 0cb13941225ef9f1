"""One function per command or query: (command, *, deps, now) -> result dict."""

from .actions import apply_action
from .bookings import create_booking
from .deps import HandlerDeps
from .reads import get_booking, list_groups

__all__ = ["HandlerDeps", "apply_action", "create_booking", "get_booking", "list_groups"]
