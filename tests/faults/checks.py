"""After a drill: every record checked against the graphs, the seats and what callers were told."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, func, select

from worker.domain.graphs import GRAPHS, Graph, GraphName, State
from worker.domain.reminders import REMINDER
from worker.storage.tables import booking_logs, bookings, command_keys, outbox

from .class_checks import (
    check_attendance,
    check_class_notices,
    check_reminders,
    reminders_per_booking,
)
from .line_checks import Logged, check_line_outcomes, check_line_walks, check_lines
from .load import Told
from .receiver import DrillReceiver
from .timekit_checks import (
    check_deletions,
    check_link_cancels,
    check_widget_bookings,
    deleted_ids,
)

SUCCESS = (200, 201)
CREATING = {
    "book_seats": "group_customer",
    "widget_booking": "group_customer",
    "create_class": "group_owner",
}
# Where a booking's log may start: a seat booking is created holding seats or waiting.
CREATED_IN: dict[str, tuple[State, ...]] = {
    GraphName.GROUP_OWNER: (State.TENTATIVE,),
    GraphName.GROUP_CUSTOMER: (State.CONFIRMED, State.WAITLISTED),
}
# The database must not change for this long before a drill's processes are stopped: the
# last sweep and the deliveries in flight when the beats stopped have finished by then.
QUIET_S = 1.5
POLL_S = 0.5
# What the line's activity is reported as, from the logs' actions.
LINE_ACTIVITY = (
    ("waitlisted", "joined a line"),
    ("promote", "promoted"),
    ("offer", "offered"),
    ("accept_offer", "accepted"),
    ("decline_offer", "declined"),
    ("expire_offer", "offers expired"),
    ("expire_waitlist", "left in closed lines"),
    ("move", "moved"),
    ("set_max_seats", "capacity changes"),
)


@dataclass
class Findings:
    """What the checks counted; `problems` names every departure from what must hold."""

    commands: int = 0
    succeeded: int = 0
    refused: int = 0
    resent: int = 0
    lost: int = 0
    failed: int = 0
    duplicated: int = 0
    mistold: int = 0
    classes: int = 0
    oversold: int = 0  # held and offered seats beyond max_seats
    line_accounts_off: int = 0  # counters that disagree with the entries, lines too long
    lines_left: int = 0  # lines the sweep had to close, lapsed offers, free seats not given
    promoted_twice: int = 0
    bookings: int = 0
    classes_completed: int = 0
    bad_transitions: int = 0
    completed_twice: int = 0
    notifications: int = 0
    log_notifications: int = 0  # the log channel's, checked apart (log_checks.py)
    undelivered: int = 0
    missing_at_receiver: int = 0
    notified_twice: int = 0
    repeats_dropped: int = 0
    deleted: int = 0  # bookings callers were told were deleted
    deleted_left: int = 0  # of those, with a row, a log or a notice left
    deleted_unasked: int = 0  # gone without a deletion told, or deleted while not final
    seats_not_freed: int = 0  # classes still counting a completed seat booking deleted
    widget_bookings: int = 0
    not_as_sent: int = 0  # widget bookings whose Timekit fields are not as sent
    link_cancels: int = 0
    cancelled_twice: int = 0
    check_ins: int = 0  # check_in, mark_no_show and late_cancel steps logged
    no_shows: int = 0
    late_cancels: int = 0
    attendance_wrong: int = 0  # check-ins, no-shows or late cancels where they may not be
    class_notices_off: int = 0  # no-show and late-cancel notices not exactly one each
    reminders: int = 0  # reminders recorded
    reminders_off: int = 0  # not staged once each, twice, out of their window or unseated
    # How often each action was logged (and "waitlisted": created waiting).
    actions: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        if len(self.problems) < 50:
            self.problems.append(text)

    def line_activity(self) -> str:
        return ", ".join(f"{self.actions[action]} {what}" for action, what in LINE_ACTIVITY)

    def timekit_activity(self) -> str:
        """Issue 12's commands: deletions, widget bookings and action-link cancels checked."""
        return (
            f"{self.deleted} bookings deleted, {self.widget_bookings} widget bookings sent "
            f"twice, {self.link_cancels} cancels from an action link pressed twice"
        )

    def class_activity(self) -> str:
        """Issue 14's: check-ins, no-shows, late cancels and reminders checked."""
        return (
            f"{self.check_ins} check-ins, {self.no_shows} no-shows, {self.late_cancels} late "
            f"cancels, {self.reminders} reminders"
        )


def wait_for_outbox_drained(database_url: str, timeout_s: float) -> int:
    """Wait until every notification is delivered (or failed); how many are still pending."""
    engine = create_engine(database_url)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            with engine.connect() as conn:
                pending = pending_notifications(conn)
            if pending == 0 or time.monotonic() > deadline:
                return pending
            time.sleep(POLL_S)
    finally:
        engine.dispose()


def wait_for_quiet(database_url: str, timeout_s: float) -> None:
    """Wait until every notification is delivered and the database has not changed for
    QUIET_S (no transition logged, notice written or delivered, booking updated)."""
    engine = create_engine(database_url)
    deadline = time.monotonic() + timeout_s
    last, since = None, time.monotonic()
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                pending, now = pending_notifications(conn), writes_so_far(conn)
            if now != last:
                last, since = now, time.monotonic()
            elif pending == 0 and time.monotonic() - since >= QUIET_S:
                return
            time.sleep(POLL_S)
    finally:
        engine.dispose()


def pending_notifications(conn: Connection) -> int:
    return int(
        conn.execute(
            select(func.count())
            .select_from(outbox)
            .where(outbox.c.state.not_in(("delivered", "failed")))
        ).scalar_one()
    )


def writes_so_far(conn: Connection) -> tuple[Any, ...]:
    """What changes with every write a drill's processes make."""
    return tuple(
        conn.execute(
            select(
                select(func.count()).select_from(booking_logs).scalar_subquery(),
                select(func.count()).select_from(outbox).scalar_subquery(),
                select(func.count())
                .select_from(outbox)
                .where(outbox.c.state == "delivered")
                .scalar_subquery(),
                select(func.max(bookings.c.updated_at)).scalar_subquery(),
            )
        ).one()
    )


def check_everything(
    database_url: str,
    journal: list[Told],
    receiver: DrillReceiver | None,
    settled_at: datetime | None = None,
) -> Findings:
    """Every check; the lines as the sweep had to have left them by `settled_at` (None: the
    lines' counters and numbers only)."""
    findings = Findings()
    engine = create_engine(database_url)
    try:
        logs = read_logs(engine)
        check_outcomes(engine, journal, findings)
        check_line_outcomes(journal, logs, findings)
        check_deletions(engine, journal, findings)
        check_widget_bookings(engine, journal, findings)
        check_link_cancels(journal, logs, findings)
        check_attendance(engine, logs, findings)
        check_class_notices(engine, logs, findings)
        check_reminders(engine, findings)
        check_lines(engine, settled_at, findings)
        check_histories(engine, logs, findings)
        check_line_walks(logs, findings)
        if receiver is not None:
            check_notifications(engine, receiver, logs, findings)
    finally:
        engine.dispose()
    return findings


def read_logs(engine: Engine) -> dict[Any, list[Logged]]:
    """Every booking's log, in the order written."""
    logs: dict[Any, list[Logged]] = defaultdict(list)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                booking_logs.c.booking_id,
                booking_logs.c.action,
                booking_logs.c.from_state,
                booking_logs.c.to_state,
                booking_logs.c.details,
            ).order_by(booking_logs.c.id)
        )
        for row in rows:
            logs[row.booking_id].append(Logged(*row))
    return logs


def check_outcomes(engine: Engine, journal: list[Told], findings: Findings) -> None:
    """Each command answered once, as recorded; nothing applied that nobody was told of; as
    many bookings of each graph as callers were told were made and not deleted."""
    with engine.connect() as conn:
        recorded = {row.key: row.result for row in conn.execute(select(command_keys))}
        per_graph: Counter[str] = Counter()
        for graph, count in conn.execute(
            select(bookings.c.graph, func.count()).group_by(bookings.c.graph)
        ):
            per_graph[graph] = count
    findings.commands = len(journal)
    gone = deleted_ids(journal)
    expected_rows: Counter[str] = Counter()
    for told in journal:
        findings.resent += told.attempts > 1
        if told.status is None:
            findings.lost += 1
            findings.problem(f"{told.op} {told.key} got no answer ({told.resent_after[-3:]})")
        elif told.status >= 500:
            findings.failed += 1
            findings.problem(f"{told.op} {told.key} failed: {told.error}")
        elif told.status in SUCCESS:
            findings.succeeded += 1
            _check_success(told, recorded.get(told.key), findings)
            made = [booking_id for booking_id in told.made if booking_id not in gone]
            if told.op in CREATING:
                expected_rows[CREATING[told.op]] += len(made)
            elif told.op == "create_series":
                expected_rows["group_owner"] += len(made)
        else:
            findings.refused += 1
            _check_refusal(told, recorded.get(told.key), gone, findings)
    told_keys = {told.key for told in journal}
    for key in recorded.keys() - told_keys:
        findings.duplicated += 1
        findings.problem(f"key {key} was applied but no caller sent it")
    for graph, count in per_graph.items():
        if count != expected_rows[graph]:
            findings.duplicated += abs(count - expected_rows[graph])
            findings.problem(
                f"{count} {graph} bookings, callers were told of {expected_rows[graph]}"
            )


def _check_success(told: Told, stored: dict[str, Any] | None, findings: Findings) -> None:
    data = (stored or {}).get("data")
    if data is None:
        findings.mistold += 1
        findings.problem(f"{told.op} {told.key} told success, recorded {stored!r}"[:300])
        return
    stored_id = data.get("series_id") if told.op == "create_series" else data.get("id")
    if told.result_id != stored_id or (told.state and told.state != data.get("state")):
        findings.mistold += 1
        findings.problem(f"{told.op} {told.key} told {told.result_id}, recorded {stored_id}")


def _check_refusal(
    told: Told, stored: dict[str, Any] | None, gone: set[str], findings: Findings
) -> None:
    # A command on a booking deleted before it ran may be refused before its key is taken (a
    # move reads its seat booking to know which classes to lock): it changed nothing.
    if stored is None and told.status == 404 and told.target in gone:
        return
    if stored is None or "data" in stored or stored.get("status") != told.status:
        findings.mistold += 1
        findings.problem(f"{told.op} {told.key} told {told.status}, recorded {stored!r}"[:300])


def check_histories(engine: Engine, logs: dict[Any, list[Logged]], findings: Findings) -> None:
    """Every booking's log is a walk through its graph that ends in its state."""
    with engine.connect() as conn:
        states = {row.id: (row.graph, row.state) for row in conn.execute(
            select(bookings.c.id, bookings.c.graph, bookings.c.state)
        )}  # fmt: skip
    findings.bookings = len(states)
    for booking_id, (graph_name, state) in states.items():
        findings.classes_completed += graph_name == "group_owner" and state == "completed"
        graph = GRAPHS[graph_name]
        walk = logs.get(booking_id, [])
        findings.completed_twice += sum(e.to_state == "completed" for e in walk) > 1
        wrong = walk_problem(graph, walk, state)
        if wrong is not None:
            findings.bad_transitions += 1
            findings.problem(f"{graph_name} {booking_id}: {wrong}")


def walk_problem(graph: Graph, walk: Sequence[Logged], state: str) -> str | None:
    """What is wrong with a booking's log as a walk through its graph, if anything: it starts
    with its creation, every step is an edge of the graph (the system's promotions, offers and
    expiries included), and it ends where the booking is."""
    reached = None
    for entry in walk:
        if reached is None:
            allowed = entry.action == "create" and entry.to_state in CREATED_IN[graph.name]
        else:
            allowed = graph.transitions.get(reached, {}).get(entry.action) == entry.to_state
        if entry.from_state != reached or not allowed:
            return f"{entry.from_state} -{entry.action}-> {entry.to_state} after {reached}"
        reached = entry.to_state
    if reached != state:
        return f"is {state}, its log ends at {reached}"
    return None


def check_notifications(
    engine: Engine, receiver: DrillReceiver, logs: dict[Any, list[Logged]], findings: Findings
) -> None:
    """Every notification delivered, once per id at the receiver, none written twice (a
    booking moved is told once per move: its customer, and each class's owner)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                outbox.c.notification_id,
                outbox.c.booking_id,
                outbox.c.type,
                outbox.c.recipient_role,
                outbox.c.state,
            ).where(outbox.c.channel == "webhook")
        ).all()
    findings.notifications = len(rows)
    findings.undelivered = sum(row.state != "delivered" for row in rows)
    if findings.undelivered:
        findings.problem(f"{findings.undelivered} notifications not delivered")
    received = receiver.ids()
    missing = {str(row.notification_id) for row in rows} - received
    findings.missing_at_receiver = len(missing)
    if missing:
        findings.problem(f"{len(missing)} notifications never reached the receiver")
    if receiver.bad_signatures:
        findings.problem(f"{receiver.bad_signatures} webhooks with a bad signature")
    written = Counter((row.booking_id, row.type, row.recipient_role) for row in rows)
    moves = {booking: sum(e.action == "move" for e in walk) for booking, walk in logs.items()}
    reminders = reminders_per_booking(engine)
    findings.notified_twice = sum(
        count > _notices_allowed(notice_type, role, moves.get(booking, 0), reminders[booking])
        for (booking, notice_type, role), count in written.items()
    )
    if findings.notified_twice:
        findings.problem(f"{findings.notified_twice} notices written more than once")
    findings.repeats_dropped = receiver.repeats()


def _notices_allowed(notice_type: str, role: str, moves: int, reminders: int) -> int:
    """How many notices of a type a booking may be sent: one, but a move is told to each
    class's owner, and a seat is reminded once for each reminder recorded for it."""
    if notice_type == REMINDER:
        return reminders
    if notice_type != "booking.moved":
        return 1
    return moves if role == "customer" else 2 * moves
