"""The mixed load: client processes, each with a few threads, sending commands until told.

Every command gets its own idempotency key and is resent under that key (a new task, the same
command) after a timeout, a lost connection or a busy class, until the workers answer with a
result or a refusal. What each caller was finally told goes to a journal, one JSON line per
command, which the checks compare with the database afterwards.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from api_client import BookingClient, BookingError, BusyError, PendingResult, ResultTimeoutError
from harness.bodies import class_body, seat_body, series_body

from .class_load import ClassCommands
from .line_load import LineCommands, waitlist_settings
from .timekit_load import TimekitCommands

ATTEMPT_TIMEOUT_S = 20.0
RESEND_PAUSE_S = 0.5
# A command not answered within this long counts as lost.
GIVE_UP_S = 300.0
JOURNAL_GLOB = "journal-*.jsonl"
CALLER_JOURNAL_GLOB = "journal-[0-9]*.jsonl"

# How often each kind of command is picked; a pick that has nothing to act on books instead.
WEIGHTS: dict[str, int] = {
    "book_seats": 50,
    "cancel_by_customer": 14,
    "cancel_by_owner": 5,
    "create_class": 7,
    "cancel_class": 2,
    "create_series": 3,
    "cancel_series": 1,
    "complete_class": 12,
    "accept_offer": 4,
    "decline_offer": 1,
    "move": 4,
    "set_max_seats": 3,
    "widget_booking": 8,
    "link_cancel": 4,
    "delete_booking": 4,
    "check_in": 6,
    "late_cancel": 3,
}
# Commands whose success creates one booking.
CREATES_ONE = ("book_seats", "create_class", "widget_booking")
# Commands whose success creates a booking (answered 201).
CREATING_OPS = ("book_seats", "create_class", "create_series", "widget_booking", "widget_retry")
# How many seat bookings ask for a place in the line should their seats not fit.
WAITLIST_SHARE = 0.7
SETUP_CLASS_SHARE = 0.5


@dataclass(frozen=True)
class LoadPlan:
    """What the clients do: on which classes, for how long or how many commands."""

    redis_url: str
    classes: tuple[str, ...]
    # Classes that end during the run, (id, end as a POSIX time): completed by callers and beat.
    ending: tuple[tuple[str, float], ...]
    journal_dir: str
    processes: int = 2
    threads: int = 3
    duration_s: float | None = None
    commands_per_thread: int | None = None
    seed: int = 0
    # How long a caller waits for an answer before it resends under the same key.
    attempt_timeout_s: float = ATTEMPT_TIMEOUT_S
    # The classes' (id, start, end) as created, which booking.js repeats in its bodies.
    event_times: tuple[tuple[str, str, str], ...] = ()
    # A file that, while it exists, keeps callers sending past `duration_s`: the drill holds
    # the load open until its fault has happened (runner.hold_open_until_faulted).
    hold_open_path: str | None = None
    # Classes that track attendance and allow late cancels (class_load.py).
    attendance: tuple[str, ...] = ()
    # Seat bookings made at setup in those classes, for any caller to check in.
    check_ins: tuple[str, ...] = ()


@dataclass
class Told:
    """One command and what its caller was finally told (status None: never answered)."""

    key: str
    op: str
    target: str | None
    status: int | None = None
    result_id: str | None = None
    state: str | None = None
    error: str | None = None
    created: list[str] = field(default_factory=list)
    attempts: int = 0
    resent_after: list[str] = field(default_factory=list)
    latency_ms: float = 0.0
    sent_at: float = 0.0  # POSIX time of the first send
    to_class: str | None = None  # a move's target class
    max_seats: int | None = None  # a set_max_seats' new seats
    deleted: list[str] = field(default_factory=list)  # what a delete_booking removed
    of_class: str | None = None  # a deleted seat booking's class, as its caller knew it
    graph: str | None = None  # a deleted booking's graph
    body: dict[str, Any] | None = None  # a widget booking's body, as sent

    @property
    def made(self) -> list[str]:
        """The bookings its caller was told this command created."""
        if self.status not in (200, 201):
            return []
        if self.created or self.op not in CREATES_ONE:
            return self.created
        return [self.result_id] if self.result_id else []


def run_load(plan: LoadPlan) -> None:
    """Run the plan's client processes to the end; raise if one of them crashed."""
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=client_process, args=(plan, index), name=f"load-{index}")
        for index in range(plan.processes)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    crashed = [p.name for p in processes if p.exitcode != 0]
    if crashed:
        raise RuntimeError(f"load processes crashed: {crashed}")


def read_journal(journal_dir: Path, *, callers_only: bool = False) -> list[Told]:
    """Every command journaled in `journal_dir`; with `callers_only`, the load's alone (not
    the classes set up before it, nor the drill's own commands)."""
    pattern = CALLER_JOURNAL_GLOB if callers_only else JOURNAL_GLOB
    return [
        Told(**json.loads(line))
        for path in sorted(journal_dir.glob(pattern))
        for line in path.read_text().splitlines()
        if line.strip()
    ]


def append_journal(path: Path, told: Told) -> None:
    with path.open("a") as journal:
        journal.write(json.dumps(asdict(told)) + "\n")


def client_process(plan: LoadPlan, index: int) -> None:
    threads = [
        threading.Thread(target=_client_thread, args=(plan, index, number), daemon=True)
        for number in range(plan.threads)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _client_thread(plan: LoadPlan, process_index: int, thread_index: int) -> None:
    journal = Path(plan.journal_dir) / f"journal-{process_index}-{thread_index}.jsonl"
    caller = Caller(plan, random.Random(f"{plan.seed}-{process_index}-{thread_index}"))
    deadline = None if plan.duration_s is None else time.monotonic() + plan.duration_s
    caller.deadline = deadline
    sent = 0
    with BookingClient(plan.redis_url, timeout_s=plan.attempt_timeout_s) as client:
        while plan.commands_per_thread is None or sent < plan.commands_per_thread:
            if deadline is not None and time.monotonic() >= deadline and not held_open(plan):
                break
            for told in caller.next_commands(client):
                append_journal(journal, told)
                sent += 1


def held_open(plan: LoadPlan) -> bool:
    return plan.hold_open_path is not None and Path(plan.hold_open_path).exists()


class Caller(LineCommands, TimekitCommands, ClassCommands):
    """One simulated caller: its own seat bookings, classes and series, and a shared pool."""

    def __init__(self, plan: LoadPlan, rng: random.Random) -> None:
        LineCommands.__init__(self)
        TimekitCommands.__init__(self)
        self.times = {class_id: (start, end) for class_id, start, end in plan.event_times}
        self.plan = plan
        self.rng = rng
        self.classes = list(plan.classes)
        self.own_classes: list[str] = []
        self.own_series: list[str] = []

    def next_commands(self, client: BookingClient) -> list[Told]:
        """One command, or a command and its resends under the same key (a widget's retry,
        a deletion's replay), each journaled as told."""
        op = self.rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        command: Told | list[Told] | None = getattr(self, op)(client)
        if command is None:
            command = self.book_seats(client)
        return command if isinstance(command, list) else [command]

    def pick_class(self) -> str:
        # Half on the classes set up before the load (half of which are small), so that even
        # a short run fills some of them and their lines move.
        pool = self.plan.classes if self.rng.random() < SETUP_CLASS_SHARE else self.classes
        return self.rng.choice(pool)

    # Commands: each returns what its caller was told, or None when it has nothing to act on.

    def book_seats(self, client: BookingClient) -> Told:
        class_id = self.pick_class()
        seats, name = self.rng.randint(1, 3), f"Caller {self.rng.random()}"
        waits = self.rng.random() < WAITLIST_SHARE
        body = seat_body(class_id, seats=seats, name=name, waitlist=waits)
        told = self._send("book_seats", class_id, lambda key: client.submit_booking(body, key))
        if told.status == 201 and told.result_id:
            self.booked(told.result_id, class_id, told.state)
        return told

    def cancel_by_customer(self, client: BookingClient) -> Told | None:
        return self._seat_action(client, "cancel_by_customer", "Something came up")

    def cancel_by_owner(self, client: BookingClient) -> Told | None:
        return self._seat_action(client, "cancel_by_owner", "Moved to another class")

    def create_class(self, client: BookingClient) -> Told:
        start = datetime.now(UTC) + timedelta(days=self.rng.randint(1, 60))
        settings = waitlist_settings(self.rng)
        body = class_body(start, max_seats=self.rng.randint(2, 40), **settings)
        told = self._send("create_class", None, lambda key: client.submit_booking(body, key))
        if told.status == 201 and told.result_id:
            self.own_classes.append(told.result_id)
            self.classes.append(told.result_id)
            self.times[told.result_id] = (body["event"]["start"], body["event"]["end"])
        return told

    def cancel_class(self, client: BookingClient) -> Told | None:
        if not self.own_classes:
            return None
        class_id = self.own_classes.pop(self.rng.randrange(len(self.own_classes)))
        self.classes.remove(class_id)
        told = self._send(
            "cancel_class",
            class_id,
            lambda key: client.submit_action(class_id, "cancel", "Teacher is ill", key),
        )
        if told.status == 200:
            self.cancelled_classes.append(class_id)
        return told

    def create_series(self, client: BookingClient) -> Told:
        first = datetime.now(UTC).replace(microsecond=0) + timedelta(days=self.rng.randint(1, 30))
        starts = [(first + timedelta(weeks=week)).isoformat() for week in range(3)]
        body = series_body({"starts": starts}, first, max_seats=self.rng.randint(5, 30))
        told = self._send("create_series", None, lambda key: client.submit_recurring(body, key))
        if told.status == 201 and told.result_id:
            self.own_series.append(told.result_id)
            self.classes.extend(told.created)
        return told

    def cancel_series(self, client: BookingClient) -> Told | None:
        if not self.own_series:
            return None
        series_id = self.own_series.pop()
        return self._send(
            "cancel_series",
            series_id,
            lambda key: client.submit_series_cancel(series_id, "Season cancelled", None, key),
        )

    def complete_class(self, client: BookingClient) -> Told | None:
        ended = [class_id for class_id, end in self.plan.ending if end < time.time()]
        if not ended:
            return None
        class_id = self.rng.choice(ended)
        return self._send(
            "complete_class",
            class_id,
            lambda key: client.submit_action(class_id, "complete", "Well done", key),
        )

    def _send(self, op: str, target: str | None, submit: Callable[[str], PendingResult]) -> Told:
        return send_until_told(op, target, submit, self.plan.attempt_timeout_s)

    def _send_keyed(
        self, op: str, target: str | None, submit: Callable[[str], PendingResult], key: str
    ) -> Told:
        return send_until_told(op, target, submit, self.plan.attempt_timeout_s, key=key)

    def _seat_action(self, client: BookingClient, action: str, message: str) -> Told | None:
        seat_id = self.any_seat_booking()
        if seat_id is None:
            return None
        told = self._send(
            action, seat_id, lambda key: client.submit_action(seat_id, action, message, key)
        )
        if told.status == 200:
            self.cancelled.append(seat_id)
        return told


def send_until_told(
    op: str,
    target: str | None,
    submit: Callable[[str], PendingResult],
    attempt_timeout_s: float = ATTEMPT_TIMEOUT_S,
    key: str | None = None,
) -> Told:
    """Send under one key (a new one unless given), and again under the same key, until a
    result or a refusal comes."""
    told = Told(key=key or str(uuid.uuid4()), op=op, target=target, sent_at=time.time())
    started = time.monotonic()
    while time.monotonic() - started < GIVE_UP_S:
        told.attempts += 1
        try:
            tell(told, submit(told.key).result(attempt_timeout_s))
            break
        except (ResultTimeoutError, BusyError) as unanswered:
            told.resent_after.append(type(unanswered).__name__)
        except BookingError as refusal:
            told.status, told.error = refusal.status, str(refusal)
            break
        except Exception as lost:  # Redis restarting: the broker or the result connection
            told.resent_after.append(type(lost).__name__)
        time.sleep(RESEND_PAUSE_S)
    told.latency_ms = (time.monotonic() - started) * 1000
    return told


def tell(told: Told, result: dict[str, Any]) -> None:
    data = result["data"]
    told.status = 201 if told.op in CREATING_OPS else 200
    if told.op == "create_series":
        told.result_id = data["series_id"]
        told.created = [klass["id"] for klass in data["bookings"]]
        return
    told.result_id, told.state = data.get("id"), data.get("state")
    if "deleted_booking_ids" in data:
        told.deleted = [str(booking_id) for booking_id in data["deleted_booking_ids"]]
        told.graph = data.get("graph")
    if told.op in ("book_seats", "create_class", "widget_booking"):
        told.created = [data["id"]]
