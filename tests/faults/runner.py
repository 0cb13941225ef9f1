"""One drill from start to end: deployment, classes, load beside the fault, drain, checks."""

from __future__ import annotations

import itertools
import random
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from api_client import BookingClient, PendingResult
from harness.bodies import class_body, seat_body
from worker.config import Settings

from .checks import Findings, check_everything, wait_for_outbox_drained, wait_for_quiet
from .class_load import (
    REMINDER_CLASSES,
    RUNNING_SETTINGS,
    SEATS_BOOKED_AT_SETUP,
    reminder_class_start,
    reminder_settings,
)
from .cluster import Cluster, WorkerSpec, running_cluster
from .drills import (
    EXPIRED_LOCK_LINE,
    REDELIVERED_LINE,
    STALE_LOCK_TTL_S,
    STALE_PAUSE_S,
    STALE_QUEUE,
    VICTIM,
    VICTIM_CONCURRENCY,
    VICTIM_SETTINGS,
    Drill,
    FaultRun,
    Kill,
)
from .line_checks import wait_for_lines_settled
from .line_load import waitlist_settings
from .load import (
    ATTEMPT_TIMEOUT_S,
    LoadPlan,
    Told,
    append_journal,
    read_journal,
    run_load,
    send_until_told,
)
from .log_checks import check_log_lines
from .receiver import SECRET, DrillReceiver
from .stalls import watch_for_stalls

DRAIN_TIMEOUT_S = 180.0
# The sweep runs every 2 s in the drills; the last classes to start do so just after the load.
SETTLE_TIMEOUT_S = 60.0
# What a drill with production's timeouts leaves at production's defaults (worker/config.py).
PRODUCTION_TIMEOUTS = (
    "visibility_timeout_s",
    "unacked_restore_interval_s",
    "retry_cap_s",
    "delivery_retry_cap_s",
)
# On top of the visibility timeout and one restore sweep: the restored message queued behind
# others and run on two busy cores.
REDELIVERY_SLACK_S = 15.0
# How long past its time the load is held open for a fault that has not come yet, and how
# often that is looked at.
HOLD_OPEN_AT_MOST_S = 90.0
HOLD_OPEN_STEP_S = 1.0
ENDING_CLASS_LENGTH = timedelta(seconds=2)


@dataclass(frozen=True)
class Size:
    """How much load a drill runs: by time (drills) or by count (the load run)."""

    classes: int
    ending_classes: int
    processes: int
    threads: int
    duration_s: float | None = None
    commands_per_thread: int | None = None
    workers: int = 2
    concurrency: int = 2
    short: bool = False  # CI's form: drills take their short_settings


# The load run: at least 50,000 commands over 500 classes on two worker processes.
LOAD = Size(
    classes=500,
    ending_classes=20,
    processes=4,
    threads=4,
    commands_per_thread=3_125,
    workers=1,
    concurrency=2,
)
SHORT = Size(classes=20, ending_classes=6, processes=2, threads=2, duration_s=8, short=True)
FULL = Size(classes=100, ending_classes=20, processes=3, threads=3, duration_s=60)


@dataclass
class DrillReport:
    drill: str
    fault: str
    faults: int
    findings: Findings
    seconds: float
    redelivered: int = 0
    expired_locks: int = 0
    notes: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    # POSIX times at which callers were answered, in order, and after which they sent no more.
    answered_at: list[float] = field(default_factory=list)
    sending_until: float = float("inf")
    load_s: float = 0.0
    expects_faults: bool = True
    # Worker instances that exited on their own and were started again by the supervisor (a
    # drill's own kills are not counted).
    worker_exits: int = 0
    # Drills that wait out a redelivery: no caller may wait longer than this for an answer.
    answer_limit_s: float | None = None
    # For each command a killed worker held: seconds from the kill to its answer.
    held_waits_s: list[float] = field(default_factory=list)
    # Resends of commands that a killed worker took off the queue but never recorded as unacked.
    resent_in_fetch_gap: list[str] = field(default_factory=list)

    @property
    def longest_answer_s(self) -> float:
        """The longest a caller waited from its first send to its answer, resends included."""
        return max(self.latencies_ms, default=0.0) / 1000

    @property
    def longest_gap_s(self) -> float:
        """The longest time in which no caller was answered while they were sending: what an
        outage cost them. (After the load's end, only the last waits are left.)"""
        times = [at for at in self.answered_at if at <= self.sending_until]
        if self.sending_until < float("inf"):
            times.append(self.sending_until)
        return max((b - a for a, b in itertools.pairwise(times)), default=0.0)

    @property
    def answered_in_time(self) -> bool:
        return self.answer_limit_s is None or self.longest_answer_s <= self.answer_limit_s

    @property
    def per_second(self) -> float:
        return len(self.latencies_ms) / self.load_s if self.load_s else 0.0

    def latency_ms(self, percent: int) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, int(len(ordered) * percent / 100))]

    @property
    def passed(self) -> bool:
        faulted = self.faults > 0 or not self.expects_faults
        return not self.findings.problems and faulted and self.answered_in_time

    @property
    def duplicated(self) -> int:
        found = self.findings
        twice = found.completed_twice + found.notified_twice + found.promoted_twice
        return found.duplicated + twice


def base_settings(receiver: DrillReceiver) -> dict[str, str]:
    return {
        # The log channel beside the webhook: its rows are held by the process that staged
        # them for 3 s, then the sweep's if that process died before marking them.
        "BOOKINGS_NOTIFICATION_CHANNELS": "webhook,log",
        "BOOKINGS_LOG_HOLD_S": "3",
        "BOOKINGS_WEBHOOK_URL": receiver.url,
        "BOOKINGS_WEBHOOK_SECRET": SECRET,
        "BOOKINGS_WEBHOOK_TIMEOUT_S": "2",
        "BOOKINGS_DELIVERY_ATTEMPTS": "100",
        "BOOKINGS_DELIVERY_RETRY_BASE_S": "0.2",
        "BOOKINGS_DELIVERY_RETRY_CAP_S": "2",
        "BOOKINGS_DELIVERY_LEASE_S": "15",
        "BOOKINGS_OUTBOX_SWEEP_EVERY_S": "2",
        "BOOKINGS_COMPLETE_GRACE_S": "0",
        "BOOKINGS_COMPLETE_EVERY_S": "1",
        "BOOKINGS_VISIBILITY_TIMEOUT_S": "10",
        "BOOKINGS_UNACKED_RESTORE_INTERVAL_S": "1",
        # Offers last 3 to 20 s in the drills (line_load.py): the sweep expires them mid-run.
        "BOOKINGS_OFFER_SWEEP_EVERY_S": "2",
        # The reminder classes' window opens a few seconds into the load (class_load.py).
        "BOOKINGS_REMINDER_SWEEP_EVERY_S": "1",
    }


# Every short form's, over the base: a notification whose delivery lost its connection
# between claiming it and recording how it went is sent again once its lease has run out, and
# the drain after the load waits for that. A delivery still sending when its lease runs out
# (a busy machine) is sent twice, and the receiver drops and counts the repeat.
SHORT_FORM_SETTINGS = {"BOOKINGS_DELIVERY_LEASE_S": "5"}


def drill_settings(drill: Drill, size: Size, receiver: DrillReceiver) -> dict[str, str]:
    """The workers' settings: the drills' base, production's timeouts where the drill asks
    for them, the drill's own, then the short form's."""
    settings = base_settings(receiver)
    if drill.production_timeouts:
        for name in PRODUCTION_TIMEOUTS:
            settings.pop(f"BOOKINGS_{name.upper()}", None)
    settings.update(drill.settings)
    if size.short:
        settings.update(SHORT_FORM_SETTINGS)
        settings.update(drill.short_settings)
    return settings


def redelivery_limit_s(settings: dict[str, str]) -> float:
    """How long a message of a vanished worker may wait: its visibility timeout, then the
    next restore sweep, then slack for a busy machine."""

    def setting(name: str) -> float:
        return float(settings.get(f"BOOKINGS_{name.upper()}", Settings.model_fields[name].default))

    return (
        setting("visibility_timeout_s") + setting("unacked_restore_interval_s") + REDELIVERY_SLACK_S
    )


def run_drill(drill: Drill, size: Size, seed: int = 0, workdir: Path | None = None) -> DrillReport:
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix=f"gb-drill-{drill.name}-") as scratch:
            return run_drill(drill, size, seed, Path(scratch))
    started = time.monotonic()
    receiver = DrillReceiver()
    receiver.start()
    try:
        settings = drill_settings(drill, size, receiver)
        answer_limit_s = redelivery_limit_s(settings) if drill.waits_out_redelivery else None
        with running_cluster(workdir, settings, sentinel=drill.sentinel) as cluster:
            start_processes(cluster, drill, size)
            if size.duration_s is not None and size.duration_s < drill.min_duration_s:
                size = replace(size, duration_s=drill.min_duration_s)
            plan = plan_load(cluster, size, workdir, seed)
            if answer_limit_s is not None:  # a caller resends only once past the limit
                plan = replace(plan, attempt_timeout_s=answer_limit_s + ATTEMPT_TIMEOUT_S)
            drill_journal = workdir / "journal-drill.jsonl"
            load_started, load_s = time.monotonic(), 0.0
            run = FaultRun(
                cluster,
                receiver,
                random.Random(seed),
                threading.Event(),
                drill_journal,
                sending_until=load_started + (size.duration_s or float("inf")),
            )
            broke: list[str] = []
            if drill.expects_faults and not drill.counts_redeliveries:
                plan = replace(plan, hold_open_path=str(workdir / "hold-open-until-a-fault"))
                Path(plan.hold_open_path or "").touch()
                threading.Thread(
                    target=hold_open_until_faulted, args=(drill, run, plan), daemon=True
                ).start()
            fault_loop = threading.Thread(target=inject, args=(drill, run, broke), daemon=True)
            fault_loop.start()
            stalls: list[str] = []
            watchdog = threading.Thread(
                target=lambda: stalls.extend(
                    watch_for_stalls(cluster, workdir, run.sending_until, run.load_done)
                ),
                daemon=True,
            )
            watchdog.start()
            try:
                run_load(plan)
                load_s = time.monotonic() - load_started
            finally:
                run.load_done.set()
                fault_loop.join(timeout=60)
                watchdog.join(timeout=60)
            receiver.start_if_down()
            wait_for_outbox_drained(cluster.database_url, DRAIN_TIMEOUT_S)
            settled_at = settle(cluster)
            # Every instance's log, those killed and not started again included (their lines
            # were written, and may have been marked, before the kill).
            logs = sorted(cluster.workdir.glob("*.log"))
            cluster.stop_all()
            restarts = [f"supervisor restarted {what}" for what in cluster.restarts]
            worker_exits = cluster.worker_exits
            journal = read_journal(workdir)
            findings = check_everything(cluster.database_url, journal, receiver, settled_at)
            text = "\n".join(path.read_text(errors="replace") for path in logs)
            check_log_lines(cluster.database_url, text, findings)
            for problem in broke:
                findings.problem(problem)
    finally:
        receiver.stop()
    faults = run.faults
    redelivered = text.count(REDELIVERED_LINE)
    held = held_waits(journal, run.kills)
    fetch_gap = in_fetch_gap(journal, run.kills)
    answered = sorted(
        (told.sent_at + told.latency_ms / 1000, told.latency_ms)
        for told in read_journal(workdir, callers_only=True)
        if told.status is not None
    )
    if drill.counts_redeliveries:
        faults = redelivered  # the fault is the timeout itself; what it caused is the count
    return DrillReport(
        drill.name,
        drill.fault,
        faults,
        findings,
        time.monotonic() - started,
        redelivered=redelivered,
        expired_locks=text.count(EXPIRED_LOCK_LINE),
        notes=stalls
        + run.notes
        + [
            f"{VICTIM} killed holding {kill.messages} messages; its {len(waits)} commands "
            f"answered {waits} s after the kill (limit {answer_limit_s} s from their send)"
            for kill, waits in zip(run.kills, held, strict=True)
        ]
        + restarts
        + [f"resent, lost in the fetch gap: {gap}" for gap in fetch_gap],
        latencies_ms=[latency_ms for _, latency_ms in answered],
        answered_at=[at for at, _ in answered],
        load_s=load_s,
        expects_faults=drill.expects_faults,
        worker_exits=worker_exits,
        answer_limit_s=answer_limit_s,
        held_waits_s=[wait for waits in held for wait in waits],
        resent_in_fetch_gap=fetch_gap,
        sending_until=time.time() - (time.monotonic() - run.sending_until),
    )


def settle(cluster: Cluster) -> datetime:
    """Let the sweep close the lines of classes that can no longer be booked and expire lapsed
    offers, then stop the beats (offers would go on lapsing, one entry after another) and let
    the workers finish and deliver what they have. The moment the lines were settled: what the
    checks judge the lines by."""
    settled_at = wait_for_lines_settled(cluster.database_url, SETTLE_TIMEOUT_S)
    for name in [name for name in cluster.instances if name.startswith("beat")]:
        cluster.stop(name)
    wait_for_quiet(cluster.database_url, DRAIN_TIMEOUT_S)
    return settled_at


def hold_open_until_faulted(drill: Drill, run: FaultRun, plan: LoadPlan) -> None:
    """Keep the callers sending, and the fault loop working, past the load's time until the
    first fault has happened (or, for a drill that goes round every fault, the first round)
    or HOLD_OPEN_AT_MOST_S has passed: on a slow machine a victim may take longer than a short
    form's load to be caught mid-command, and a drill that injected no fault proves nothing.
    On a quick one the first fault comes well inside the load's time and this changes
    nothing."""
    assert plan.hold_open_path is not None
    hold = Path(plan.hold_open_path)
    give_up_at = time.monotonic() + HOLD_OPEN_AT_MOST_S
    try:
        while (
            not faulted_enough(drill, run)
            and not run.load_done.is_set()
            and time.monotonic() < give_up_at
        ):
            if time.monotonic() > run.sending_until - HOLD_OPEN_STEP_S:
                run.sending_until = time.monotonic() + 2 * HOLD_OPEN_STEP_S
            time.sleep(HOLD_OPEN_STEP_S / 4)
    finally:
        hold.unlink(missing_ok=True)


def faulted_enough(drill: Drill, run: FaultRun) -> bool:
    """Whether the fault loop has done what the load waits for before it may end."""
    return run.faults > 0 and (run.rounds > 0 or not drill.holds_open_for_a_round)


def inject(drill: Drill, run: FaultRun, broke: list[str]) -> None:
    """The drill's fault loop; if it breaks (Redis does not come back, a worker does not
    start), the run fails saying so, rather than running on without its fault."""
    try:
        drill.inject(run)
    except Exception as error:
        broke.append(f"the fault loop broke: {error!r}"[:500])


# A command sent this shortly before a whole worker was killed may have been taken off the
# queue by it and not yet recorded as unacked (see in_fetch_gap).
FETCH_GAP_S = 1.0


def in_fetch_gap(journal: list[Told], kills: list[Kill]) -> list[str]:
    """Commands resent because a whole worker was SIGKILLed between taking their message off
    the queue and recording it as unacked: kombu's Redis transport BRPOPs a message, then
    writes it to the unacked hash in a second call, so a worker killed in between (its main
    process slow to read the reply on a loaded machine) takes the message with it, and no
    visibility timeout brings it back. Its caller's resend under the same key answers it, once.
    Such a command was sent just before a kill and was not among the messages the victim was
    found holding."""
    gap = []
    for told in journal:
        if told.attempts < 2:
            continue
        for kill in kills:
            if kill.at - FETCH_GAP_S <= told.sent_at <= kill.at and told.key not in kill.keys:
                before_s = kill.at - told.sent_at
                gap.append(f"{told.op} {told.key} sent {before_s:.3f} s before a kill")
                break
    return gap


def held_waits(journal: list[Told], kills: list[Kill]) -> list[list[float]]:
    """For each whole worker killed: how long after the kill each command it held was
    answered, in seconds (by the workers' restore: callers wait it out before resending)."""
    told: dict[str, Told] = {}
    for entry in journal:  # a widget's retry or a deletion's replay comes after its first send
        if entry.status is not None:
            told.setdefault(entry.key, entry)
    return [
        sorted(
            round(told[key].sent_at + told[key].latency_ms / 1000 - kill.at, 1)
            for key in kill.keys
            if key in told and told[key].sent_at + told[key].latency_ms / 1000 > kill.at
        )
        for kill in kills
    ]


def start_processes(cluster: Cluster, drill: Drill, size: Size) -> None:
    workers = [WorkerSpec(f"w{index + 1}", size.concurrency) for index in range(size.workers)]
    if drill.slow_worker_commit_s:
        slow = {"BOOKINGS_DRILL_PAUSE_BEFORE_COMMIT_S": str(drill.slow_worker_commit_s)}
        workers.append(WorkerSpec("w-slow", 1, slow))
    if drill.victim_worker:
        workers.append(WorkerSpec(VICTIM, VICTIM_CONCURRENCY, VICTIM_SETTINGS))
    if drill.stale_worker:
        stale = {
            "BOOKINGS_DRILL_PAUSE_HOLDING_LOCK_S": str(STALE_PAUSE_S),
            "BOOKINGS_LOCK_TTL_S": str(STALE_LOCK_TTL_S),
        }
        workers.append(WorkerSpec("w-stale", 1, stale, queue=STALE_QUEUE))
    cluster.start_workers(workers)
    for index in range(drill.beats):
        cluster.start_beat(f"beat-{index + 1}")


def plan_load(cluster: Cluster, size: Size, workdir: Path, seed: int) -> LoadPlan:
    """Classes to book (some of them ending during the run), created and journaled."""
    journal = workdir / "journal-setup.jsonl"
    rng = random.Random(seed)
    now = datetime.now(UTC)
    run_s = size.duration_s or 60.0
    bodies, ends, running_ones = [], [], []
    for index in range(size.classes):
        start = now + timedelta(days=rng.randint(1, 30), minutes=rng.randint(0, 600))
        # Half of them small, so that even the short form fills them and lines form.
        seats = rng.randint(2, 8) if index % 2 == 0 else rng.randint(20, 150)
        bodies.append(class_body(start, max_seats=seats, **waitlist_settings(rng)))
    for index in range(size.ending_classes):
        start = now + timedelta(seconds=4 + index * run_s / max(1, size.ending_classes))
        # Every other one tracks attendance and takes late cancels (class_load.py).
        running = RUNNING_SETTINGS if index % 2 else {}
        body = class_body(
            start,
            max_seats=rng.randint(3, 20),
            length=ENDING_CLASS_LENGTH,
            **waitlist_settings(rng),
            **running,
        )
        bodies.append(body)
        ends.append((start + ENDING_CLASS_LENGTH).timestamp())
        running_ones.append(bool(running))
    check_ins: list[str] = []
    with cluster.client() as client:
        classes = _create_all(client, bodies, journal)
        ending = list(zip(classes[size.classes :], ends, strict=True))
        attendance = [
            class_id for (class_id, _), running in zip(ending, running_ones, strict=True) if running
        ]
        for class_id in attendance:
            # One seat for the callers to check in, one never checked in: a no-show. (None if
            # the class has started by now, on a busy machine.)
            check_ins += _book_at_setup(client, class_id, journal, seats=2)[:1]
        for index in range(REMINDER_CLASSES):
            # Made one at a time after the rest: its window opens a few seconds after it is made,
            # and its seats are booked before that.
            start = reminder_class_start(datetime.now(UTC), index, run_s)
            body = class_body(start, max_seats=rng.randint(10, 20), **reminder_settings())
            (told,) = _create_all(client, [body], journal)
            _book_at_setup(client, told, journal, seats=SEATS_BOOKED_AT_SETUP)
            classes.append(told)
            attendance.append(told)
            bodies.append(body)
    times = [
        (class_id, body["event"]["start"], body["event"]["end"])
        for class_id, body in zip(classes, bodies, strict=True)
    ]
    return LoadPlan(
        redis_url=cluster.redis_url,
        classes=tuple(classes),
        ending=tuple(ending),
        journal_dir=str(workdir),
        processes=size.processes,
        threads=size.threads,
        duration_s=size.duration_s,
        commands_per_thread=size.commands_per_thread,
        seed=seed,
        event_times=tuple(times),
        attendance=tuple(attendance),
        check_ins=tuple(check_ins),
    )


def _book_at_setup(client: BookingClient, class_id: str, journal: Path, seats: int) -> list[str]:
    """Seat bookings of one seat each, made before the load: in a reminder class, before its
    window opens (their reminders come due); in an attendance class, to check in or not."""
    booked = []
    for number in range(seats):
        body = seat_body(class_id, seats=1, name=f"Booked at setup {number} {class_id[:8]}")
        told = send_until_told("book_seats", class_id, _booking(client, body))
        append_journal(journal, told)
        booked += told.made
    return booked


def _booking(client: BookingClient, body: dict[str, Any]) -> Callable[[str], PendingResult]:
    return lambda key: client.submit_booking(body, key)


def _create_all(client: BookingClient, bodies: list[dict[str, Any]], journal: Path) -> list[str]:
    """Create every class, in order: all sent at once (the workers create them side by side),
    then each awaited and, if need be, sent again under its key."""
    keys = [str(uuid.uuid4()) for _ in bodies]
    first_sends = [client.submit_booking(body, key) for body, key in zip(bodies, keys, strict=True)]
    return [
        _create(client, body, journal, key, first_send)
        for body, key, first_send in zip(bodies, keys, first_sends, strict=True)
    ]


def _create(
    client: BookingClient, body: dict[str, Any], journal: Path, key: str, first_send: PendingResult
) -> str:
    unanswered = [first_send]

    def submit(key: str) -> PendingResult:
        return unanswered.pop() if unanswered else client.submit_booking(body, key)

    told: Told = send_until_told("create_class", None, submit, key=key)
    told.created = [told.result_id] if told.result_id else []
    append_journal(journal, told)
    if told.status != 201 or told.result_id is None:
        raise RuntimeError(f"could not create a class: {told}")
    return told.result_id
