"""After a drill, the waitlist: each class's line and counters, what the sweep had to have done,
and what callers were told of offers, moves and capacity changes against the logs."""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, select

from tests.support.invariants import line_accounts
from worker.domain.graphs import GROUP_OWNER, IN_LINE_STATES, State
from worker.domain.seats import is_bookable_now
from worker.domain.waitlist import AUTOMATIC
from worker.handlers.allocation import snapshot_of
from worker.storage.tables import bookings

from .timekit_checks import deleted_ids

if TYPE_CHECKING:
    from .checks import Findings
    from .load import Told

POLL_S = 0.5
# Each entry of a line takes the seats freed at most once: promoted or offered, never both,
# never twice (it cannot go back to waiting).
LINE_STEPS = ("promote", "offer")


@dataclass(frozen=True)
class Logged:
    """One booking_logs row as the checks read it."""

    booking_id: Any
    action: str
    from_state: str | None
    to_state: str
    details: Mapping[str, Any] | None


def line_leftovers(conn: Connection, at: datetime) -> list[str]:
    """What the sweep had to have done by `at` and did not: entries still in the line of a
    class that could no longer be booked, and offers still open past their deadline."""
    klass, entry = bookings.alias("klass"), bookings.alias("entry")
    rows = conn.execute(
        select(klass, entry.c.id.label("entry_id"), entry.c.state.label("entry_state"),
               entry.c.offer_expires_at.label("entry_expires_at"))
        .select_from(entry.join(klass, entry.c.owner_booking_id == klass.c.id))
        .where(entry.c.state.in_([str(s) for s in IN_LINE_STATES]))
    ).mappings()  # fmt: skip
    left = []
    for row in rows:
        if not is_bookable_now(snapshot_of(row), at):
            left.append(f"class {row['id']} cannot be booked, {row['entry_id']} still in its line")
        elif row["entry_state"] == State.OFFERED and row["entry_expires_at"] <= at:
            left.append(f"offer to {row['entry_id']} open past its deadline")
    return left


def wait_for_lines_settled(database_url: str, timeout_s: float) -> datetime:
    """Wait until the sweep has closed every line it must and expired every lapsed offer; the
    moment that held (or the timeout's)."""
    engine = create_engine(database_url)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            at = datetime.now(UTC)
            with engine.connect() as conn:
                settled = not line_leftovers(conn, at)
            if settled or time.monotonic() > deadline:
                return at
            time.sleep(POLL_S)
    finally:
        engine.dispose()


def check_lines(engine: Engine, settled_at: datetime | None, findings: Findings) -> None:
    """Every class's counters against its entries, held and offered within its seats, waiting
    within its waitlist, one number per entry; what the sweep had to have done by
    `settled_at`; and no automatic line left waiting for seats that are free."""
    with engine.connect() as conn:
        accounts = line_accounts(conn)
        leftovers = line_leftovers(conn, settled_at) if settled_at is not None else []
        fitting = _fitting_waiters(conn, settled_at) if settled_at is not None else []
    findings.classes = len(accounts)
    for account in accounts:
        if account.seats_held + account.seats_offered > account.max_seats:
            findings.oversold += 1
        if not account.holds:
            findings.line_accounts_off += 1
            findings.problem(f"class {account.class_id}: {account}")
    for text in leftovers + fitting:
        findings.lines_left += 1
        findings.problem(text)


def _fitting_waiters(conn: Connection, at: datetime) -> list[str]:
    """Entries of an automatic line, in a class bookable at `at`, whose seats fit the free."""
    classes = {
        row["id"]: row
        for row in conn.execute(
            select(bookings).where(
                bookings.c.graph == GROUP_OWNER, bookings.c.waitlist_promotion == AUTOMATIC
            )
        ).mappings()
        if is_bookable_now(snapshot_of(row), at)
    }
    waiting = conn.execute(
        select(bookings.c.id, bookings.c.owner_booking_id, bookings.c.seats).where(
            bookings.c.state == State.WAITLISTED,
            bookings.c.owner_booking_id.in_(list(classes)),
        )
    )
    found = []
    for entry_id, class_id, seats in waiting:
        klass = classes[class_id]
        free = klass["max_seats"] - klass["current_seats"] - klass["offered_seats"]
        if seats <= free:
            found.append(f"class {class_id} has {free} seats free, {entry_id} waits for {seats}")
    return found


def check_line_walks(logs: Mapping[Any, Sequence[Logged]], findings: Findings) -> None:
    """Each entry promoted or offered at most once; each move leaves from where the last one
    arrived."""
    for booking_id, walk in logs.items():
        findings.actions.update(entry.action for entry in walk)
        findings.actions["waitlisted"] += sum(
            e.action == "create" and e.to_state == State.WAITLISTED for e in walk
        )
        steps = sum(entry.action in LINE_STEPS for entry in walk)
        if steps > 1:
            findings.promoted_twice += 1
            findings.problem(f"{booking_id} was promoted or offered {steps} times")
        moves = [entry.details or {} for entry in walk if entry.action == "move"]
        for before, after in itertools.pairwise(moves):
            if before.get("to_class") != after.get("from_class"):
                findings.bad_transitions += 1
                findings.problem(f"{booking_id} moved from {after.get('from_class')}, was in "
                                 f"{before.get('to_class')}")  # fmt: skip


def check_line_outcomes(
    journal: Iterable[Told], logs: Mapping[Any, Sequence[Logged]], findings: Findings
) -> None:
    """An offer answered, a move or a capacity change a caller was told was made is in the
    logs, once (unless its booking was deleted since, logs and all); none is in the logs that
    no caller was told was made."""
    journal = list(journal)
    gone = deleted_ids(journal)
    told: Counter[tuple[str, ...]] = Counter()
    for command in journal:
        if command.target in gone:
            continue
        if command.status == 200 and command.op in ("accept_offer", "decline_offer"):
            told[(command.op, str(command.target))] += 1
        elif command.status == 200 and command.op == "move":
            told[("move", str(command.target), str(command.to_class))] += 1
        elif command.status == 200 and command.op == "set_max_seats":
            told[("set_max_seats", str(command.target), str(command.max_seats))] += 1
    logged: Counter[tuple[str, ...]] = Counter()
    for booking_id, walk in logs.items():
        for entry in walk:
            details = entry.details or {}
            if entry.action in ("accept_offer", "decline_offer"):
                logged[(entry.action, str(booking_id))] += 1
            elif entry.action == "move":
                logged[("move", str(booking_id), str(details.get("to_class")))] += 1
            elif entry.action == "set_max_seats":
                logged[("set_max_seats", str(booking_id), str(details.get("max_seats_after")))] += 1
    for what, count in (told - logged).items():
        findings.mistold += count
        findings.problem(f"told {' '.join(what)} was done, not in the logs")
    for what, count in (logged - told).items():
        findings.duplicated += count
        findings.problem(f"logged {' '.join(what)}, no caller was told so")
