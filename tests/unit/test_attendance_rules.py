"""Running a class in the pure domain: the graph's new states, check-in and late cancels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from worker.domain.attendance import (
    CancelTiming,
    LateCancel,
    cancel_policy,
    check_in_opens_at,
    customer_cancel_action,
    policy_of,
)
from worker.domain.errors import (
    ActionNotAllowedError,
    AttendanceNotTrackedError,
    CancelWindowClosedError,
    CheckInClosedError,
)
from worker.domain.graphs import CUSTOMER_GRAPH, cascades_of
from worker.domain.notifications import OWNER, Recipient, notices_for
from worker.domain.transitions import decide_action
from worker.domain.waitlist import SeatCounts, change_of

START = datetime(2032, 3, 5, 18, 0, tzinfo=UTC)
END = START + timedelta(hours=1)
HOUR_S = 3600
DAY_S = 86_400
SECOND = timedelta(seconds=1)
OPENS = START - timedelta(hours=1)


def check_in(
    now: datetime, *, state: str = "confirmed", tracks: bool = True, klass: str = "tentative"
) -> str:
    return decide_action(
        "group_customer",
        state,
        "check_in",
        now=now,
        class_start=START,
        min_cancel_s=DAY_S,
        class_end=END,
        tracks_attendance=tracks,
        class_state=klass,
        check_in_opens_s=HOUR_S,
    )


def cancel_action(now: datetime, policy: LateCancel, state: str = "confirmed") -> str:
    return customer_cancel_action(
        state, class_start=START, min_cancel_s=DAY_S, policy=policy, now=now
    )


def test_a_confirmed_seat_checks_in_exactly_when_the_window_opens() -> None:
    assert check_in_opens_at(START, HOUR_S) == OPENS
    assert check_in(OPENS) == "checked_in"


def test_a_seat_cannot_check_in_a_second_before_the_window_opens() -> None:
    with pytest.raises(CheckInClosedError, match="check-in opens at"):
        check_in(OPENS - SECOND)


def test_a_seat_may_check_in_after_the_class_ended_until_it_completes() -> None:
    assert check_in(END + timedelta(minutes=30)) == "checked_in"


def test_a_seat_cannot_check_in_once_its_class_completed() -> None:
    with pytest.raises(CheckInClosedError, match="completed"):
        check_in(END + timedelta(hours=2), klass="completed")


def test_a_class_without_attendance_refuses_check_in() -> None:
    with pytest.raises(AttendanceNotTrackedError):
        check_in(START, tracks=False)


@pytest.mark.parametrize(
    "state", ["cancelled_by_customer", "cancelled_by_owner", "late_cancelled", "waitlisted"]
)
def test_a_cancelled_or_waiting_booking_cannot_be_checked_in(state: str) -> None:
    with pytest.raises(ActionNotAllowedError):
        check_in(START, state=state)


def test_check_in_and_no_show_are_owner_or_system_actions_not_shown_as_customer_cancels() -> None:
    assert "check_in" in CUSTOMER_GRAPH.available_actions("confirmed")
    assert "late_cancel" not in CUSTOMER_GRAPH.available_actions("confirmed")
    assert "mark_no_show" not in CUSTOMER_GRAPH.available_actions("confirmed")
    assert CUSTOMER_GRAPH.available_actions("checked_in") == ["cancel_by_owner", "complete"]


@pytest.mark.parametrize("state", ["no_show", "late_cancelled"])
def test_no_show_and_late_cancelled_are_final(state: str) -> None:
    assert CUSTOMER_GRAPH.is_final(state)


def test_completing_a_class_that_tracks_attendance_makes_the_unchecked_no_shows() -> None:
    walks = {
        (c.from_state, c.seat_action, c.to_state)
        for c in cascades_of("complete", tracks_attendance=True)
    }
    assert ("confirmed", "mark_no_show", "no_show") in walks
    assert ("checked_in", "complete", "completed") in walks
    plain = {(c.from_state, c.to_state) for c in cascades_of("complete", tracks_attendance=False)}
    assert ("confirmed", "completed") in plain


def test_a_checked_in_seat_and_a_no_show_keep_their_seats_counted() -> None:
    assert change_of("confirmed", "checked_in", 2) == SeatCounts()
    assert change_of("confirmed", "no_show", 2) == SeatCounts()


def test_a_late_cancel_frees_its_seats() -> None:
    assert change_of("confirmed", "late_cancelled", 2) == SeatCounts(held=-2)


def test_a_cancel_up_to_min_cancel_time_is_on_time_under_either_policy() -> None:
    deadline = START - timedelta(days=1)
    assert cancel_action(deadline, LateCancel.ALLOW) == "cancel_by_customer"
    assert cancel_action(deadline, LateCancel.REFUSE) == "cancel_by_customer"


def test_a_cancel_past_min_cancel_time_is_late_where_the_policy_allows_it() -> None:
    late = START - timedelta(days=1) + SECOND
    assert cancel_action(late, LateCancel.ALLOW) == "late_cancel"
    assert (
        decide_action(
            "group_customer",
            "confirmed",
            "late_cancel",
            now=late,
            class_start=START,
            min_cancel_s=DAY_S,
        )
        == "late_cancelled"
    )


def test_a_cancel_past_min_cancel_time_is_refused_where_the_policy_refuses_it() -> None:
    late = START - timedelta(days=1) + SECOND
    action = cancel_action(late, LateCancel.REFUSE)
    with pytest.raises(CancelWindowClosedError):
        decide_action(
            "group_customer", "confirmed", action, now=late, class_start=START, min_cancel_s=DAY_S
        )


def test_leaving_the_waitlist_is_never_late() -> None:
    assert cancel_action(START - SECOND, LateCancel.ALLOW, "waitlisted") == "cancel_by_customer"


def test_a_seat_booked_before_the_setting_existed_refuses_late_cancels() -> None:
    assert policy_of(None) is LateCancel.REFUSE
    assert policy_of("allow") is LateCancel.ALLOW


def test_the_cancel_policy_says_on_time_late_or_refused_and_until_when() -> None:
    def asked(now: datetime, policy: LateCancel, state: str = "confirmed") -> CancelTiming:
        return cancel_policy(
            state, class_start=START, min_cancel_s=DAY_S, policy=policy, now=now
        ).now

    deadline = START - timedelta(days=1)
    answer = cancel_policy(
        "confirmed", class_start=START, min_cancel_s=DAY_S, policy=LateCancel.ALLOW, now=deadline
    )
    assert (answer.now, answer.on_time_until) == (CancelTiming.ON_TIME, deadline)
    assert asked(deadline + SECOND, LateCancel.ALLOW) is CancelTiming.LATE
    assert asked(deadline + SECOND, LateCancel.REFUSE) is CancelTiming.REFUSED
    assert asked(deadline, LateCancel.ALLOW, "cancelled_by_owner") is CancelTiming.REFUSED


def test_a_no_show_tells_the_customer_and_a_late_cancel_the_owner() -> None:
    owner = Recipient(OWNER, "Doc", "doc@example.com")
    customer = Recipient("customer", "Marty", "marty@example.com")
    no_show = notices_for("mark_no_show", owner=owner, customer=customer, message=None)
    late = notices_for("late_cancel", owner=owner, customer=customer, message=None)
    assert [(n.type, n.recipient) for n in no_show] == [("booking.no_show", customer)]
    assert [(n.type, n.recipient) for n in late] == [("booking.late_cancelled", owner)]
    assert notices_for("check_in", owner=owner, customer=customer, message=None) == []
