"""When seats may be booked and when a customer may still cancel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .errors import BookingWindowClosedError, CancelWindowClosedError


@dataclass(frozen=True)
class BookingWindow:
    """Seats may be booked from `opens_at` (None: any time before) up to `closes_at`."""

    opens_at: datetime | None
    closes_at: datetime

    @classmethod
    def for_class(
        cls, start: datetime, min_booking_s: int | None, max_booking_s: int | None
    ) -> BookingWindow:
        closes_at = start - timedelta(seconds=min_booking_s or 0)
        opens_at = None if max_booking_s is None else start - timedelta(seconds=max_booking_s)
        return cls(opens_at, closes_at)

    def check_open(self, now: datetime) -> None:
        if now > self.closes_at:
            raise BookingWindowClosedError(
                f"booking closed at {self.closes_at.isoformat()}; it is now {now.isoformat()}"
            )
        if self.opens_at is not None and now < self.opens_at:
            raise BookingWindowClosedError(
                f"booking opens at {self.opens_at.isoformat()}; it is now {now.isoformat()}"
            )


def last_customer_cancel(start: datetime, min_cancel_s: int | None) -> datetime:
    """The last moment a customer may cancel: min_cancel_time before the start (or the start)."""
    return start - timedelta(seconds=min_cancel_s or 0)


def check_customer_may_cancel(now: datetime, start: datetime, min_cancel_s: int | None) -> None:
    deadline = last_customer_cancel(start, min_cancel_s)
    if now > deadline:
        raise CancelWindowClosedError(
            f"customers may cancel until {deadline.isoformat()}; it is now {now.isoformat()}"
        )
