"""After a drill: every record checked against the graphs, the seats and what callers were told."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, create_engine, func, select

from tests.support.invariants import seat_accounts
from worker.domain.graphs import GRAPHS, Graph
from worker.storage.tables import booking_logs, bookings, command_keys, outbox

from .load import Told
from .receiver import DrillReceiver

SUCCESS = (200, 201)
CREATING = {"book_seats": "group_customer", "create_class": "group_owner"}


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
    oversold: int = 0
    seat_accounts_off: int = 0
    bookings: int = 0
    classes_completed: int = 0
    bad_transitions: int = 0
    completed_twice: int = 0
    notifications: int = 0
    undelivered: int = 0
    missing_at_receiver: int = 0
    notified_twice: int = 0
    repeats_dropped: int = 0
    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        if len(self.problems) < 50:
            self.problems.append(text)


def wait_for_outbox_drained(database_url: str, timeout_s: float) -> int:
    """Wait until every notification is delivered (or failed); how many are still pending."""
    engine = create_engine(database_url)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            with engine.connect() as conn:
                pending = conn.execute(
                    select(func.count())
                    .select_from(outbox)
                    .where(outbox.c.state.not_in(("delivered", "failed")))
                ).scalar_one()
            if pending == 0 or time.monotonic() > deadline:
                return int(pending)
            time.sleep(0.5)
    finally:
        engine.dispose()


def check_everything(
    database_url: str, journal: list[Told], receiver: DrillReceiver | None
) -> Findings:
    findings = Findings()
    engine = create_engine(database_url)
    try:
        check_outcomes(engine, journal, findings)
        check_seats(database_url, findings)
        check_histories(engine, findings)
        if receiver is not None:
            check_notifications(engine, receiver, findings)
    finally:
        engine.dispose()
    return findings


def check_outcomes(engine: Engine, journal: list[Told], findings: Findings) -> None:
    """Each command answered once, as recorded; nothing applied that nobody was told of."""
    with engine.connect() as conn:
        recorded = {row.key: row.result for row in conn.execute(select(command_keys))}
        per_graph: Counter[str] = Counter()
        for graph, count in conn.execute(
            select(bookings.c.graph, func.count()).group_by(bookings.c.graph)
        ):
            per_graph[graph] = count
    findings.commands = len(journal)
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
            if told.op in CREATING:
                expected_rows[CREATING[told.op]] += 1
            elif told.op == "create_series":
                expected_rows["group_owner"] += len(told.created)
        else:
            findings.refused += 1
            _check_refusal(told, recorded.get(told.key), findings)
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


def _check_refusal(told: Told, stored: dict[str, Any] | None, findings: Findings) -> None:
    if stored is None or "data" in stored or stored.get("status") != told.status:
        findings.mistold += 1
        findings.problem(f"{told.op} {told.key} told {told.status}, recorded {stored!r}"[:300])


def check_seats(database_url: str, findings: Findings) -> None:
    accounts = seat_accounts(database_url)
    findings.classes = len(accounts)
    for account in accounts:
        if account.oversold:
            findings.oversold += 1
        if not account.holds:
            findings.seat_accounts_off += 1
            findings.problem(f"class {account.class_id}: {account}")


def check_histories(engine: Engine, findings: Findings) -> None:
    """Every booking's log is a walk through its graph that ends in its state."""
    with engine.connect() as conn:
        states = {row.id: (row.graph, row.state) for row in conn.execute(
            select(bookings.c.id, bookings.c.graph, bookings.c.state)
        )}  # fmt: skip
        logs: dict[Any, list[Any]] = defaultdict(list)
        for row in conn.execute(select(booking_logs).order_by(booking_logs.c.id)):
            logs[row.booking_id].append(row)
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


def walk_problem(graph: Graph, walk: list[Any], state: str) -> str | None:
    """What is wrong with a booking's log as a walk through its graph, if anything."""
    reached = None
    for entry in walk:
        if reached is None:
            allowed = entry.to_state == graph.initial_state
        else:
            allowed = graph.transitions.get(reached, {}).get(entry.action) == entry.to_state
        if entry.from_state != reached or not allowed:
            return f"{entry.from_state} -{entry.action}-> {entry.to_state} after {reached}"
        reached = entry.to_state
    if reached != state:
        return f"is {state}, its log ends at {reached}"
    return None


def check_notifications(engine: Engine, receiver: DrillReceiver, findings: Findings) -> None:
    """Every notification delivered, once per id at the receiver, none written twice."""
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
    findings.notified_twice = sum(count > 1 for count in written.values())
    if findings.notified_twice:
        findings.problem(f"{findings.notified_twice} notices written more than once")
    findings.repeats_dropped = receiver.repeats()
