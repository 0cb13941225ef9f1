"""The part of BookingClient the command uses, so tests can hand it a stand-in."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from ..client import BookingClient


class PendingAnswer(Protocol):
    """A submitted command whose answer is collected later (PendingResult)."""

    def result(self, timeout_s: float | None = None) -> dict[str, Any]: ...


class CommandClient(Protocol):
    """The BookingClient methods behind the subcommands."""

    def create_booking(
        self, body: dict[str, Any], idempotency_key: str | None = None
    ) -> dict[str, Any]: ...

    def create_recurring(
        self, body: dict[str, Any], idempotency_key: str | None = None
    ) -> dict[str, Any]: ...

    def submit_booking(
        self, body: dict[str, Any], idempotency_key: str | None = None
    ) -> PendingAnswer: ...

    def get_booking(self, booking_id: str, include: Iterable[str] | str = ()) -> dict[str, Any]: ...

    def list_groups(
        self, start: Any = None, end: Any = None, series_id: str | None = None
    ) -> dict[str, Any]: ...

    def cancel(self, booking_id: str, message: str | None = None) -> dict[str, Any]: ...

    def cancel_by_customer(self, booking_id: str, message: str | None = None) -> dict[str, Any]: ...

    def cancel_by_owner(self, booking_id: str, message: str | None = None) -> dict[str, Any]: ...

    def cancel_series(
        self, series_id: str, message: str | None = None, from_: Any = None
    ) -> dict[str, Any]: ...

    def close(self) -> None: ...


# (redis_url or None for $BOOKINGS_REDIS_URL / the default, timeout_s) -> a client
ClientFactory = Callable[[str | None, float], CommandClient]


def connect(redis_url: str | None, timeout_s: float) -> CommandClient:
    """The real client, over Redis."""
    return BookingClient(redis_url, timeout_s=timeout_s)
