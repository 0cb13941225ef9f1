"""Running a class: when a seat may check in, and whether a customer's cancel is late.

Pure: each rule takes the class (or the seat's stored policy) as read and `now`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from .errors import AttendanceNotTrackedError, CheckInClosedError
from .graphs import CUSTOMER_GRAPH, IN_LINE_STATES, State
from .windows import last_customer_cancel

# The default of BOOKINGS_CHECK_IN_OPENS: the door opens an hour before the class.
DEFAULT_CHECK_IN_OPENS_S = 3600


class LateCancel(StrEnum):
    """A class's policy for a customer's cancel past min_cancel_time."""

    REFUSE = "refuse"  # 409, as a class without the setting always did
    ALLOW = "allow"  # the seat ends late_cancelled and its seats are freed


class CancelTiming(StrEnum):
    """What a customer's cancel now would be."""

    ON_TIME = "on_time"
    LATE = "late"
    REFUSED = "refused"


def policy_of(stored: str | None) -> LateCancel:
    """A seat booked before the setting existed (None) has the old rule: refuse."""
    return LateCancel(stored) if stored else LateCancel.REFUSE


def check_in_opens_at(class_start: datetime, opens_s: int) -> datetime:
    return class_start - timedelta(seconds=opens_s)


def check_may_check_in(
    *,
    tracks_attendance: bool,
    class_state: str,
    class_start: datetime,
    opens_s: int,
    now: datetime,
) -> None:
    """Check-in is open from `opens_s` before the start until the class completes."""
    if not tracks_attendance:
        raise AttendanceNotTrackedError(
            "this class does not track attendance (settings.track_attendance is false)"
        )
    if class_state != State.TENTATIVE:
        raise CheckInClosedError(f"check-in closed when the class became {class_state}")
    opens_at = check_in_opens_at(class_start, opens_s)
    if now < opens_at:
        raise CheckInClosedError(
            f"check-in opens at {opens_at.isoformat()}; it is now {now.isoformat()}"
        )


def cancel_timing(
    state: str,
    *,
    class_start: datetime,
    min_cancel_s: int | None,
    policy: LateCancel,
    now: datetime,
) -> CancelTiming:
    """What a customer's cancel of a seat booking in `state` would be at `now`."""
    if "cancel_by_customer" not in CUSTOMER_GRAPH.available_actions(state):
        return CancelTiming.REFUSED
    # Leaving the waitlist holds no seat the class could still fill: always on time.
    if state in IN_LINE_STATES or now <= last_customer_cancel(class_start, min_cancel_s):
        return CancelTiming.ON_TIME
    return CancelTiming.LATE if policy is LateCancel.ALLOW else CancelTiming.REFUSED


def customer_cancel_action(
    state: str,
    *,
    class_start: datetime,
    min_cancel_s: int | None,
    policy: LateCancel,
    now: datetime,
) -> str:
    """The graph's action a customer's cancel takes: `late_cancel` when it is late and the
    seat's policy allows it, otherwise `cancel_by_customer` (whose window rule refuses a late
    one)."""
    timing = cancel_timing(
        state, class_start=class_start, min_cancel_s=min_cancel_s, policy=policy, now=now
    )
    return "late_cancel" if timing is CancelTiming.LATE else "cancel_by_customer"


@dataclass(frozen=True)
class CancelPolicy:
    """What `include=cancel_policy` answers: a cancel now, and until when it is on time."""

    policy: LateCancel
    now: CancelTiming
    on_time_until: datetime | None


def cancel_policy(
    state: str,
    *,
    class_start: datetime,
    min_cancel_s: int | None,
    policy: LateCancel,
    now: datetime,
) -> CancelPolicy:
    timing = cancel_timing(
        state, class_start=class_start, min_cancel_s=min_cancel_s, policy=policy, now=now
    )
    until = None if state in IN_LINE_STATES else last_customer_cancel(class_start, min_cancel_s)
    return CancelPolicy(policy, timing, until)
