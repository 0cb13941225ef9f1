"""Deciding an action on a booking: the graph's edge plus the rules that guard it."""

from __future__ import annotations

from datetime import datetime, timedelta

from .errors import ClassNotOverError
from .graphs import GRAPHS, SEAT_HOLDING_STATES
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
) -> str:
    """The state `action` leads to, or a DomainError saying why it may not be taken now."""
    next_state = GRAPHS[graph_name].next_state(state, action)
    if action == "cancel_by_customer":
        check_customer_may_cancel(now, class_start, min_cancel_s)
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


def releases_seats(from_state: str, to_state: str) -> bool:
    """Whether a seat booking moving between these states gives its seats back to the class."""
    return from_state in SEAT_HOLDING_STATES and to_state not in SEAT_HOLDING_STATES
