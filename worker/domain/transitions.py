"""Deciding an action on a booking: the graph's edge plus the rules that guard it."""

from __future__ import annotations

from datetime import datetime, timedelta

from .attendance import DEFAULT_CHECK_IN_OPENS_S, check_may_check_in
from .errors import ClassNotOverError
from .graphs import GRAPHS, IN_LINE_STATES, State
from .waitlist import check_offer_open
from .windows import check_customer_may_cancel


def decide_action(
    graph_name: str,
    state: str,
    action: str,
    *,
    now: datetime,
    class_start: datetime,
    min_cancel_s: int | None,
    class_end: datetime | None = None,
    offer_expires_at: datetime | None = None,
    tracks_attendance: bool = False,
    class_state: str = State.TENTATIVE,
    check_in_opens_s: int = DEFAULT_CHECK_IN_OPENS_S,
) -> str:
    """The state `action` leads to, or a DomainError saying why it may not be taken now.

    A late customer cancel arrives here as `late_cancel` (attendance.customer_cancel_action
    chose it from the seat's policy), so the window rule below refuses only what is refused."""
    next_state = GRAPHS[graph_name].next_state(state, action)
    # Leaving the waitlist holds no seat the class could still fill: allowed while it is open.
    if action == "cancel_by_customer" and state not in IN_LINE_STATES:
        check_customer_may_cancel(now, class_start, min_cancel_s)
    if action == "check_in":
        check_may_check_in(
            tracks_attendance=tracks_attendance,
            class_state=class_state,
            class_start=class_start,
            opens_s=check_in_opens_s,
            now=now,
        )
    if action == "accept_offer":
        check_offer_open(offer_expires_at, now)
    if action == "complete":
        assert class_end is not None, "completing needs the class's end"
        check_class_is_over(now, class_end)
    return next_state


def check_class_is_over(now: datetime, class_end: datetime) -> None:
    if now < class_end:
        raise ClassNotOverError(
            f"the class ends at {class_end.isoformat()} and cannot be completed before; "
            f"it is now {now.isoformat()}"
        )


def completion_cutoff(now: datetime, grace_s: int) -> datetime:
    """Classes that ended before this moment are completed by the scheduled sweep."""
    return now - timedelta(seconds=grace_s)
