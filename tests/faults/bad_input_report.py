"""What the bad-input drill saw: a fingerprint of what the database holds around each answer, and
the per-path tallies and findings it reports."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import Engine, Select, func, select
from sqlalchemy.exc import OperationalError

from tests.faults.bad_input_paths import Outcome
from tests.faults.bad_requests import ActionRequest, BadRequest, describe
from worker.storage.tables import booking_logs, bookings, command_keys, outbox, series

# Enough to show each distinct crash without burying the table.
MAX_FINDINGS = 20
EXAMPLES_PER_KIND = 2
# The local PostgreSQL is shared with other drills, some of which terminate connections.
FINGERPRINT_ATTEMPTS = 3


# Checking the database ----------------------------------------------------------------------


class Fingerprint(NamedTuple):
    """What a command may write: rows of each table, seats held and the latest update."""

    bookings: int
    booking_logs: int
    outbox: int
    series: int
    seats_held: int
    last_update: Any
    # The line's counters and the classes' seats: a refused set_max_seats, offer or move
    # must leave them as they were.
    line_seats: int
    max_seats: int
    # A refusal records its key with the refusal (a replay answers it); nothing else.
    command_keys: int
    last_key_result: Any

    def bookings_changed(self, before: Fingerprint) -> bool:
        return self[:8] != before[:8]


def refusal_wrote(before: Fingerprint, after: Fingerprint) -> bool:
    """Whether a refusal changed more than its own command key, recorded with the refusal."""
    if after.bookings_changed(before):
        return True
    keyed = after.command_keys - before.command_keys
    refusal_kept = isinstance(after.last_key_result, dict) and "data" not in after.last_key_result
    return keyed not in (0, 1) or (keyed == 1 and not refusal_kept)


def database_fingerprint(engine: Engine) -> Fingerprint:
    counts = [
        select(func.count()).select_from(table).scalar_subquery()
        for table in (bookings, booking_logs, outbox, series)
    ]
    seats = select(func.coalesce(func.sum(bookings.c.current_seats), 0)).scalar_subquery()
    latest = select(func.max(bookings.c.updated_at)).scalar_subquery()
    line = bookings.c.offered_seats * 1000 + bookings.c.waitlist_seats
    line_seats = select(func.coalesce(func.sum(line), 0)).scalar_subquery()
    max_seats = select(func.coalesce(func.sum(bookings.c.max_seats), 0)).scalar_subquery()
    keys = select(func.count()).select_from(command_keys).scalar_subquery()
    last_key = (
        select(command_keys.c.result)
        .order_by(command_keys.c.created_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = select(*counts, seats, latest, line_seats, max_seats, keys, last_key)
    for _ in range(FINGERPRINT_ATTEMPTS - 1):
        try:
            return _read_fingerprint(engine, query)
        except OperationalError:
            continue  # the connection was terminated under us; a fresh one answers
    return _read_fingerprint(engine, query)


def _read_fingerprint(engine: Engine, query: Select[Any]) -> Fingerprint:
    with engine.connect() as conn:
        return Fingerprint._make(conn.execute(query).one())


# The report ---------------------------------------------------------------------------------


@dataclass
class PathTally:
    sent: int = 0
    succeeded: int = 0
    refused: Counter[int] = field(default_factory=Counter)
    crashed: int = 0
    refusals_that_wrote: int = 0
    refusals_keyed: int = 0  # recorded under their idempotency key, as designed
    # Check-ins let in: every class of the run starts in a month, past its check-in window.
    check_ins_let_in: int = 0


@dataclass(frozen=True)
class Finding:
    path: str
    problem: str
    request: str
    outcome: str


@dataclass
class BadInputReport:
    """What each path answered to the same requests, and what went wrong."""

    requested: int
    seed: int
    tallies: dict[str, PathTally] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)  # of crashes and writing refusals
    elapsed_s: float = 0.0
    # Notifications of accepted requests that did not reach their reader, and e-mail whose
    # headers named other recipients (tests/faults/bad_input_deliveries.py).
    delivery_problems: list[str] = field(default_factory=list)

    def record(
        self,
        path: str,
        request: BadRequest,
        outcome: Outcome,
        before: Fingerprint,
        after: Fingerprint,
    ) -> None:
        """Tallies the outcome; `before` and `after` are the database around it."""
        tally = self.tallies.setdefault(path, PathTally())
        tally.sent += 1
        if outcome.kind == "success":
            tally.succeeded += 1
            if isinstance(request, ActionRequest) and request.action == "check_in":
                tally.check_ins_let_in += 1
                self._found(path, "a check-in outside its window succeeded", request, outcome)
        elif outcome.kind == "refusal":
            tally.refused[outcome.status or 0] += 1
            tally.refusals_keyed += after.command_keys != before.command_keys
            if refusal_wrote(before, after):
                tally.refusals_that_wrote += 1
                self._found(path, "a refusal wrote to the database", request, outcome)
        else:
            tally.crashed += 1
            self._found(path, "crash", request, outcome)

    def _found(self, path: str, problem: str, request: BadRequest, outcome: Outcome) -> None:
        kind = f"{path} {problem}: {outcome.status} {outcome.detail.splitlines()[0][:100]}"
        self.kinds[kind] += 1
        if self.kinds[kind] <= EXAMPLES_PER_KIND and len(self.findings) < MAX_FINDINGS:
            detail = f"{outcome.status} {outcome.detail}"
            self.findings.append(Finding(path, problem, describe(request), detail))

    def problems(self) -> list[str]:
        """One line per path that crashed, wrote on a refusal or sent less than asked, and per
        kind of accepted request whose notifications were not delivered."""
        found = []
        for path, tally in self.tallies.items():
            if tally.sent < self.requested:
                found.append(f"{path}: sent {tally.sent} of {self.requested} requests")
            if tally.crashed:
                found.append(f"{path}: {tally.crashed} answers were neither a success nor a 4xx")
            if tally.refusals_that_wrote:
                found.append(f"{path}: {tally.refusals_that_wrote} refusals wrote to the database")
            if tally.check_ins_let_in:
                found.append(f"{path}: {tally.check_ins_let_in} check-ins outside their window")
        return found + self.delivery_problems

    def render(self) -> str:
        lines = [
            f"bad input: {self.requested} requests per path, seed {self.seed}, "
            f"{self.elapsed_s:.1f} s",
            f"{'path':<8} {'sent':>6} {'success':>7} {'crash':>6} "
            f"{'wrote':>6} {'keyed':>6}  refused",
        ]
        for path, t in self.tallies.items():
            refused = " ".join(f"{status}:{n}" for status, n in sorted(t.refused.items()))
            lines.append(
                f"{path:<8} {t.sent:>6} {t.succeeded:>7} {t.crashed:>6} "
                f"{t.refusals_that_wrote:>6} {t.refusals_keyed:>6}  {refused}"
            )
        lines += [f"  {n} x {kind}" for kind, n in self.kinds.most_common()]
        for finding in self.findings:
            lines += [
                f"- {finding.path} {finding.problem}: {finding.outcome}",
                f"  {finding.request}",
            ]
        return "\n".join(lines)
