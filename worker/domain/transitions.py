"""Deciding an action on a booking: the graph's edge plus the rules that guard it."""

from __future__ import annotations

from datetime import datetime

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
) -> str:
    """The state `action` leads to, or a DomainError saying why it may not be taken now."""
    next_state = GRAPHS[graph_name].next_state(state, action)
    if action == "cancel_by_customer":
        check_customer_may_cancel(now, class_start, min_cancel_s)
    return next_state


def releases_seats(from_state: str, to_state: str) -> bool:
    """Whether a seat booking moving between these states gives its seats back to the class."""
    return from_state in SEAT_HOLDING_STATES and to_state not in SEAT_HOLDING_STATES
