"""After a drill, issue 14: check-ins, no-shows, late cancels and reminders.

- A seat booking is checked in at most once, and only in a class that tracks attendance.
- A no-show is marked only in a class that tracks attendance and has completed, and only on a
  seat that was confirmed and never checked in; no seat of such a class completes as attended
  without its check-in.
- A late cancel is logged only on a seat whose stored policy allows it.
- Each no-show tells its customer once (booking.no_show), each late cancel the owner once
  (booking.late_cancelled); no such notice without its log entry.
- Each reminder recorded in reminders_sent is staged in the outbox once per channel under its
  notification id, and every reminder in the outbox is recorded; none is recorded twice for a
  (seat booking, class, offset) (a seat moved may be reminded by each class it was in); each
  was staged while its window was open, for a seat confirmed when the window opened.

(Whether each walk is a legal one through the graph, the new states' included, is
checks.check_histories' job.)
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select

from worker.domain.graphs import GROUP_OWNER, State
from worker.domain.reminders import REMINDER
from worker.storage.tables import booking_logs, bookings, class_reminders, outbox, reminders_sent

if TYPE_CHECKING:
    from .checks import Findings
    from .line_checks import Logged

NOTICE_OF = {"mark_no_show": "booking.no_show", "late_cancel": "booking.late_cancelled"}
# The channels the drills deliver on (runner.base_settings).
CHANNELS = ("webhook",)


def check_attendance(
    engine: Engine, logs: Mapping[Any, Sequence[Logged]], findings: Findings
) -> None:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                bookings.c.id,
                bookings.c.graph,
                bookings.c.state,
                bookings.c.owner_booking_id,
                bookings.c.track_attendance,
                bookings.c.late_cancel,
            )
        ).all()
    classes = {row.id: row for row in rows if row.graph == GROUP_OWNER}
    for seat in (row for row in rows if row.graph != GROUP_OWNER):
        walk = logs.get(seat.id, [])
        klass = classes.get(seat.owner_booking_id)
        tracks = bool(klass is not None and klass.track_attendance)
        actions = Counter(entry.action for entry in walk)
        findings.check_ins += actions["check_in"]
        findings.no_shows += actions["mark_no_show"]
        findings.late_cancels += actions["late_cancel"]
        for wrong in attendance_problems(walk, tracks, klass, seat.late_cancel):
            findings.attendance_wrong += 1
            findings.problem(f"seat booking {seat.id}: {wrong}")


def attendance_problems(
    walk: Sequence[Logged], tracks: bool, klass: Any, policy: str | None
) -> list[str]:
    """What is wrong with a seat booking's check-ins, no-show and late cancel, if anything."""
    wrong = []
    check_ins = [entry for entry in walk if entry.action == "check_in"]
    if len(check_ins) > 1:
        wrong.append(f"checked in {len(check_ins)} times")
    if check_ins and not tracks:
        wrong.append("checked in at a class that does not track attendance")
    for number, entry in enumerate(walk):
        if entry.action == "mark_no_show":
            if not tracks or klass is None or klass.state != State.COMPLETED:
                wrong.append("marked a no-show at a class not tracking attendance or not completed")
            if entry.from_state != State.CONFIRMED or any(
                e.action == "check_in" for e in walk[:number]
            ):
                wrong.append(f"marked a no-show from {entry.from_state}, after a check-in or not")
        elif entry.action == "complete" and entry.from_state == State.CONFIRMED and tracks:
            wrong.append("completed as attended at an attendance class, never checked in")
        elif entry.action == "late_cancel" and policy != "allow":
            wrong.append(f"cancelled late under the policy {policy}")
    return wrong


def check_class_notices(
    engine: Engine, logs: Mapping[Any, Sequence[Logged]], findings: Findings
) -> None:
    """One booking.no_show per no-show and one booking.late_cancelled per late cancel."""
    with engine.connect() as conn:
        written = Counter(
            (booking_id, notice_type)
            for booking_id, notice_type in conn.execute(
                select(outbox.c.booking_id, outbox.c.type).where(
                    outbox.c.type.in_(list(NOTICE_OF.values())),
                    outbox.c.channel.in_(CHANNELS),
                )
            )
        )
    expected = Counter(
        (booking_id, NOTICE_OF[entry.action])
        for booking_id, walk in logs.items()
        for entry in walk
        if entry.action in NOTICE_OF
    )
    for booking_id, notice_type in sorted(set(written) | set(expected), key=str):
        count, wanted = written[booking_id, notice_type], expected[booking_id, notice_type]
        if count != wanted:
            findings.class_notices_off += 1
            findings.problem(f"{booking_id} was sent {count} {notice_type}, its log says {wanted}")


def check_reminders(engine: Engine, findings: Findings) -> None:
    with engine.connect() as conn:
        sent = conn.execute(select(reminders_sent)).mappings().all()
        staged = conn.execute(
            select(outbox.c.notification_id, outbox.c.channel, outbox.c.booking_id).where(
                outbox.c.type == REMINDER
            )
        ).all()
        windows = {
            (row.class_id, row.offset_s): row for row in conn.execute(select(class_reminders))
        }
        seated = _log_times(conn, {row["booking_id"] for row in sent})
    findings.reminders = len(sent)
    for wrong in reminder_problems(sent, staged, windows, seated):
        findings.reminders_off += 1
        findings.problem(wrong)


def reminder_problems(
    sent: Sequence[Mapping[Any, Any]],
    staged: Sequence[Any],
    windows: Mapping[tuple[Any, int], Any],
    logs: Mapping[Any, Sequence[tuple[str, datetime]]],
) -> list[str]:
    wrong = []
    twice = Counter((row["booking_id"], row["class_id"], row["offset_s"]) for row in sent)
    wrong += [f"{key[0]} reminded {count} times by {key[1]} at {key[2]} s" for key, count in
              twice.items() if count > 1]  # fmt: skip
    deliveries = Counter((row.notification_id, row.channel, row.booking_id) for row in staged)
    recorded = {row["notification_id"] for row in sent}
    for row in sent:
        for channel in CHANNELS:
            count = deliveries[row["notification_id"], channel, row["booking_id"]]
            if count != 1:
                wrong.append(f"reminder {row['notification_id']} staged {count} times ({channel})")
        window = windows.get((row["class_id"], row["offset_s"]))
        if window is None or not window.opens_at <= row["staged_at"] < window.closes_at:
            wrong.append(f"reminder {row['notification_id']} staged outside its window")
        elif _state_at(logs.get(row["booking_id"], []), window.opens_at) != State.CONFIRMED:
            wrong.append(f"{row['booking_id']} reminded, not confirmed when its window opened")
    for notification_id, _channel, booking_id in deliveries:
        if notification_id not in recorded:
            wrong.append(f"a reminder of {booking_id} staged with no record of it")
    return wrong


def _log_times(conn: Any, booking_ids: set[Any]) -> dict[Any, list[tuple[str, datetime]]]:
    """(state reached, when) of each entry of these bookings' logs, in the order written."""
    times: dict[Any, list[tuple[str, datetime]]] = defaultdict(list)
    if booking_ids:
        for booking_id, to_state, created_at in conn.execute(
            select(booking_logs.c.booking_id, booking_logs.c.to_state, booking_logs.c.created_at)
            .where(booking_logs.c.booking_id.in_(list(booking_ids)))
            .order_by(booking_logs.c.id)
        ):
            times[booking_id].append((to_state, created_at))
    return times


def _state_at(walk: Sequence[tuple[str, datetime]], at: datetime) -> str | None:
    """The state a booking's log had reached at `at`."""
    reached = None
    for to_state, created_at in walk:
        if created_at > at:
            break
        reached = to_state
    return reached


def reminders_per_booking(engine: Engine) -> Counter[Any]:
    """How many reminders each seat booking was recorded as sent: its reminder notices."""
    with engine.connect() as conn:
        return Counter(conn.execute(select(reminders_sent.c.booking_id)).scalars())
