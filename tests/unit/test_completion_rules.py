"""A class and its seat bookings complete only once the class is over; the sweep waits longer."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from worker.domain.errors import ActionNotAllowedError, ClassNotOverError
from worker.domain.transitions import completion_cutoff, decide_action

START = datetime(2016, 9, 30, 8, 0, tzinfo=UTC)
END = START + timedelta(hours=1)
SECOND = timedelta(seconds=1)
ONE_HOUR_S = 3600

# The state each graph completes from.
OPEN_STATE = {"group_owner": "tentative", "group_customer": "confirmed"}
BOTH_GRAPHS = pytest.mark.parametrize("graph", sorted(OPEN_STATE))


def complete(graph: str, now: datetime, state: str | None = None) -> str:
    return decide_action(
        graph,
        state or OPEN_STATE[graph],
        "complete",
        now=now,
        class_start=START,
        min_cancel_s=86_400,
        class_end=END,
    )


@BOTH_GRAPHS
def test_a_booking_cannot_be_completed_a_second_before_the_class_ends(graph: str) -> None:
    with pytest.raises(ClassNotOverError):
        complete(graph, END - SECOND)


@BOTH_GRAPHS
def test_a_booking_cannot_be_completed_while_the_class_has_not_started(graph: str) -> None:
    with pytest.raises(ClassNotOverError):
        complete(graph, START - timedelta(days=7))


@BOTH_GRAPHS
def test_a_booking_may_be_completed_exactly_when_the_class_ends(graph: str) -> None:
    assert complete(graph, END) == "completed"


@BOTH_GRAPHS
def test_a_booking_may_be_completed_any_time_after_the_class_ends(graph: str) -> None:
    assert complete(graph, END + timedelta(days=30)) == "completed"


def test_the_refusal_names_the_end_of_the_class() -> None:
    with pytest.raises(ClassNotOverError, match=re.escape(END.isoformat())):
        complete("group_owner", END - SECOND)


def test_completion_ignores_the_customers_cancel_deadline() -> None:
    # The seed's "1 day" min_cancel_time has long passed by the end of the class.
    assert complete("group_customer", END) == "completed"


def test_a_cancelled_booking_cannot_be_completed_even_after_the_class_ends() -> None:
    with pytest.raises(ActionNotAllowedError):
        complete("group_customer", END, state="cancelled_by_owner")


def test_the_graph_refuses_before_the_clock_is_consulted() -> None:
    with pytest.raises(ActionNotAllowedError):
        complete("group_owner", END - SECOND, state="completed")


def test_the_sweep_completes_classes_that_ended_a_grace_period_ago() -> None:
    now = datetime(2016, 9, 30, 10, 0, tzinfo=UTC)

    assert completion_cutoff(now, ONE_HOUR_S) == datetime(2016, 9, 30, 9, 0, tzinfo=UTC)


def test_without_a_grace_period_the_sweep_completes_classes_that_have_ended_by_now() -> None:
    now = datetime(2016, 9, 30, 10, 0, tzinfo=UTC)

    assert completion_cutoff(now, 0) == now


def test_a_class_just_inside_the_grace_period_is_left_for_a_later_sweep() -> None:
    now = END + timedelta(seconds=ONE_HOUR_S) - SECOND

    assert completion_cutoff(now, ONE_HOUR_S) < END
