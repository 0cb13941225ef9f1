"""The faults, each a drill of its own, and all of them together.

A drill names the settings and extra processes it needs and a fault loop that runs beside the
load until the load ends, counting the faults it injected.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import random
import signal
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import Engine, create_engine, text

from api_client import BookingClient, PendingResult
from api_client.errors import BookingError, BusyError, NotFoundError, ResultTimeoutError
from harness.bodies import class_body, seat_body
from worker.keys import STALE_LOCK_CLASS_KEY, STALE_LOCK_DRILL_KEY

from .cluster import Cluster
from .load import Told, append_journal, send_until_told, tell
from .receiver import DrillReceiver

STALE_LOCK_TTL_S = 1.0
STALE_PAUSE_S = 4.0
# The stale-lock drill's own class, and the queue that only its stale worker takes from.
STALE_CLASS_SEATS = 40
STALE_QUEUE = "bookings-stale-drill"
# How long the stale worker may take to pause holding its booking before it is sent again,
# and how many times.
HOLDER_WAIT_S = 10.0
HOLD_ATTEMPTS = 5
# How long the stale command's own answer is waited for once its worker goes on.
STALE_ANSWER_WAIT_S = 30.0
SLOW_COMMIT_S = 0.3
REDELIVERY_COMMIT_S = 1.5
# The worker-kill drill's victim: two processes, each command paused inside its transaction so
# that a kill surely finds it holding messages.
VICTIM = "w-victim"
VICTIM_CONCURRENCY = 2
VICTIM_SETTINGS = {"BOOKINGS_DRILL_PAUSE_BEFORE_COMMIT_S": "1.0"}
# A transaction idle this long is the victim's paused commit: the others take milliseconds.
MID_TASK = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
    " AND state = 'idle in transaction' AND now() - state_change > interval '0.2 seconds'"
)
# After the kill, a message still unacked this much later was the victim's (the others ack
# theirs in milliseconds).
HELD_SETTLE_S = 3.0
# kombu's Redis transport: delivered, not yet acked messages, by delivery tag, and when each
# was delivered.
UNACKED_KEY = "unacked"
UNACKED_INDEX_KEY = "unacked_index"
# Where Celery's Redis backend stores a task's result.
RESULT_KEY_PREFIX = "celery-task-meta-"
# A command unacked this long is the victim's: the others answer in milliseconds.
HELD_FOR_S = 0.3
# Materialized first, so that PostgreSQL cannot terminate this connection before filtering it.
TERMINATE_OTHERS = text(
    "WITH victims AS MATERIALIZED ("
    " SELECT pid, state FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    " AND backend_type = 'client backend')"
    " SELECT state FROM victims WHERE pg_terminate_backend(pid)"
)
EXPIRED_LOCK_LINE = "expired before it was released"
REDELIVERED_LINE = "redelivered:"


@dataclass
class FaultRun:
    """What a fault loop works with, and what it reports."""

    cluster: Cluster
    receiver: DrillReceiver
    rng: random.Random
    load_done: threading.Event
    drill_journal: Path
    faults: int = 0
    notes: list[str] = field(default_factory=list)
    kills: list[Kill] = field(default_factory=list)
    # Rounds of every fault that all_faults has finished.
    rounds: int = 0
    # Monotonic time after which callers send no new command (they may still wait for answers).
    sending_until: float = float("inf")

    def pause(self, seconds: float) -> bool:
        """Sleep unless the load ends first; whether the load is still running."""
        return not self.load_done.wait(seconds)


@dataclass
class Kill:
    """A whole worker killed: when (POSIX time), how many messages it held, and the
    idempotency keys of the commands among them."""

    at: float
    messages: int
    keys: list[str]


@dataclass(frozen=True)
class Drill:
    name: str
    fault: str
    settings: dict[str, str] = field(default_factory=dict)
    # The short form's settings over `settings`, where CI cannot wait for production's.
    short_settings: dict[str, str] = field(default_factory=dict)
    # Production's visibility timeout, restore sweep and countdown caps (worker/config.py),
    # not the drills' shorter ones (runner.base_settings).
    production_timeouts: bool = False
    # Callers wait out a redelivery (visibility timeout + restore sweep + slack) before they
    # resend: the drill measures the workers' restore, not a caller's resend.
    waits_out_redelivery: bool = False
    victim_worker: bool = False  # w-victim, whose commands pause inside their transaction
    slow_worker_commit_s: float = 0.0  # a worker whose commands pause before their commit
    stale_worker: bool = False
    beats: int = 1
    # The load runs at least this long (a short form's time is shorter).
    min_duration_s: float = 0.0
    # The load is held open until the fault loop has gone round every fault once, not only
    # until its first fault (all-together needs every fault).
    holds_open_for_a_round: bool = False
    expects_faults: bool = True
    inject: Callable[[FaultRun], None] = lambda _run: None
    counts_redeliveries: bool = False
    # Redis as a master, a replica and three sentinels (harness/sentinels.py), every process
    # given the sentinels' URL.
    sentinel: bool = False


def kill_mid_allocation(run: FaultRun) -> None:
    """SIGKILL the slow worker's pool process, which spends its commands inside a transaction."""
    while run.pause(run.rng.uniform(0.8, 1.6)):
        pids = run.cluster.instances["w-slow"].pool_pids()
        if pids:
            os.kill(run.rng.choice(pids), signal.SIGKILL)
            run.faults += 1


def kill_whole_worker(run: FaultRun) -> None:
    """SIGKILL the victim's main process and pool while a command of its is inside its
    transaction, note what it held, and start a fresh victim while the callers send.

    Only while they send: a load shorter than the visibility timeout then ends before the
    first restore, so no restored message is killed a second time in a fresh victim (its
    caller would wait two timeouts, by design, not by fault).
    """
    engine = create_engine(run.cluster.database_url)
    broker = redis.Redis.from_url(run.cluster.redis_url)
    earlier: set[Any] = set()  # held by victims killed before, still waiting for the restore
    try:
        while run.pause(run.rng.uniform(2.0, 4.0)) and _wait_mid_command(
            engine, broker, run, earlier
        ):
            run.cluster.kill(VICTIM)
            killed_at = time.time()
            run.faults += 1
            unacked = _unacked(broker).keys() - earlier
            time.sleep(HELD_SETTLE_S)
            held = [body for tag, body in _unacked(broker).items() if tag in unacked]
            earlier |= unacked
            keys = [body["idempotency_key"] for body in held if "idempotency_key" in body]
            run.kills.append(Kill(killed_at, len(held), keys))
            if time.monotonic() < run.sending_until:
                run.cluster.start_worker(VICTIM, VICTIM_CONCURRENCY, VICTIM_SETTINGS)
    finally:
        engine.dispose()
        broker.close()


def _wait_mid_command(
    engine: Engine, broker: redis.Redis, run: FaultRun, earlier: set[Any]
) -> bool:
    """Wait until the victim is inside a command's transaction (not a scheduled task's, which
    pauses too): a transaction idle past the others' milliseconds, and a command unacked as
    long (not one that a victim killed before left). False once callers stop sending."""
    while not run.load_done.is_set() and time.monotonic() < run.sending_until:
        with engine.connect() as conn:
            paused = conn.execute(MID_TASK).scalar_one()
        if paused and _commands_held_since(broker, time.time() - HELD_FOR_S, earlier):
            return True
        time.sleep(0.05)
    return False


def _commands_held_since(broker: redis.Redis, since: float, earlier: set[Any]) -> bool:
    """Whether a command delivered before `since`, and not in `earlier`, is still unacked and
    not yet answered. (Answered but not yet acked is a command whose process is between
    storing its result and acking: a process paused in another transaction, a scheduled
    task's, would make it look held, and a kill then would hold no command.)"""
    delivered: list[Any] = list(broker.zrangebyscore(UNACKED_INDEX_KEY, "-inf", since))
    tags = [tag for tag in delivered if tag not in earlier]
    bodies = broker.hmget(UNACKED_KEY, tags) if tags else []
    messages = [json.loads(body)[0] for body in bodies if body is not None]
    return any(
        "idempotency_key" in _kwargs(message)
        and not broker.exists(RESULT_KEY_PREFIX + message["headers"]["id"])
        for message in messages
    )


def _unacked(broker: redis.Redis) -> dict[Any, dict[str, Any]]:
    """The task keyword arguments of every unacked message without a countdown, by tag."""
    held: dict[Any, dict[str, Any]] = {}
    for tag, raw in broker.hgetall(UNACKED_KEY).items():
        message = json.loads(raw)[0]
        if message["headers"].get("eta"):
            continue  # a retry waiting for its countdown, not a message in a worker's hands
        held[tag] = _kwargs(message)
    return held


def _kwargs(message: dict[str, Any]) -> dict[str, Any]:
    """A task message's keyword arguments."""
    _args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
    return dict(kwargs)


def stop_lock_holder(run: FaultRun) -> None:
    """SIGSTOP a worker holding a class lock past its TTL, fill the class, then SIGCONT it.

    The stopped worker (w-stale) takes only the drill's own queue, so the bookings that fill
    the class go to the others: a worker that also took from the callers' queue would take
    some of them and hold them, unanswered, while it is stopped. The class is the drill's own,
    which no caller touches: once it is full nothing frees a seat before the stale command
    reads it (a caller's cancellation would, and the stale command would then rightly be
    answered 201)."""
    holder_redis = redis.Redis.from_url(run.cluster.redis_url)
    with (
        run.cluster.client(timeout_s=10) as client,
        run.cluster.client(timeout_s=10, queue=STALE_QUEUE) as stale_client,
    ):
        while not run.load_done.is_set():
            class_id = _class_of_the_drill(run, client)
            if class_id is None:
                return
            held = _booking_held_by_the_stale_worker(run, stale_client, holder_redis, class_id)
            if held is None:
                return
            pid, stale = held
            os.kill(pid, signal.SIGSTOP)
            try:
                time.sleep(STALE_LOCK_TTL_S + 0.5)  # the lock expires; the worker cannot notice
                filled = _fill(run, class_id)
            finally:
                os.kill(pid, signal.SIGCONT)
            told = stale.told_in(STALE_ANSWER_WAIT_S)
            append_journal(run.drill_journal, told)
            run.faults += 1
            name = class_id[:8]
            run.notes.append(f"stale holder of {name} stopped; {filled} seats taken meanwhile")
            run.notes.append(f"stale command on {name} answered [{told.status}]")
            _wait_for_log(run, "w-stale", EXPIRED_LOCK_LINE, run.faults, timeout_s=20)
            run.pause(1.0)


@dataclass
class Sent:
    """A seat booking sent and not yet waited for."""

    told: Told
    pending: PendingResult | None
    resend: Callable[[str], PendingResult]

    def told_in(self, wait_s: float) -> Told:
        """What its caller is told: its own answer if it comes within `wait_s`, else what a
        resend under its key is told."""
        if self.pending is not None:
            try:
                tell(self.told, self.pending.result(wait_s))
            except (ResultTimeoutError, BusyError):
                pass
            except BookingError as refusal:
                self.told.status, self.told.error = refusal.status, str(refusal)
            except Exception:  # Redis restarting under the all-faults drill
                pass
        if self.told.status is None:
            resent = send_until_told(self.told.op, self.told.target, self.resend, key=self.told.key)
            resent.sent_at, resent.attempts = self.told.sent_at, resent.attempts + 1
            self.told = resent
        self.told.latency_ms = (time.time() - self.told.sent_at) * 1000
        return self.told


def _class_of_the_drill(run: FaultRun, client: BookingClient) -> str | None:
    """A class for the drill alone, made and journaled like a caller's; None if refused."""
    body = class_body(max_seats=STALE_CLASS_SEATS)
    told = send_until_told("create_class", None, lambda key: client.submit_booking(body, key))
    append_journal(run.drill_journal, told)
    return told.result_id if told.status == 201 else None


def _booking_held_by_the_stale_worker(
    run: FaultRun, stale_client: BookingClient, holder_redis: redis.Redis, class_id: str
) -> tuple[int, Sent] | None:
    """A seat booking in the drill's class, sent to the stale worker's queue, once it pauses
    holding the class's lock: its process id and that booking. Sent again, under a new key, if
    it was answered without a pause or lost (a Redis restart forgets the message, the class
    named and the pause armed); those are journaled as told."""
    body = seat_body(class_id, seats=1)

    def submit(key: str) -> PendingResult:
        return stale_client.submit_booking(body, key)

    for _ in range(HOLD_ATTEMPTS):
        with contextlib.suppress(redis.RedisError):
            holder_redis.set(STALE_LOCK_CLASS_KEY, class_id)
            holder_redis.delete(STALE_LOCK_DRILL_KEY)  # arms the pause
        told = Told(str(uuid.uuid4()), "book_seats", class_id, attempts=1, sent_at=time.time())
        try:
            sent = Sent(told, submit(told.key), submit)
        except Exception:  # Redis restarting: sent again under its key below
            sent = Sent(told, None, submit)
        deadline = time.monotonic() + HOLDER_WAIT_S
        while sent.pending is not None and time.monotonic() < deadline:
            held = _read_key(holder_redis, STALE_LOCK_DRILL_KEY)
            if held is not None:
                pid_text, _class_id = held.split()
                return int(pid_text), sent
            if sent.pending.ready():
                break
            time.sleep(0.05)
        append_journal(run.drill_journal, sent.told_in(HOLDER_WAIT_S))
        if run.load_done.is_set():
            return None
    run.notes.append(f"the stale worker never paused holding {class_id[:8]}")
    return None


def restart_redis(run: FaultRun) -> None:
    while run.pause(run.rng.uniform(2.0, 3.0)):
        run.cluster.redis.restart(down_s=1.0)
        run.faults += 1


def fail_over_redis(run: FaultRun) -> None:
    """SIGKILL the Redis master; the sentinels promote the replica. What the master had not yet
    sent to its replica is lost (replication is asynchronous): callers resend under their key.
    The killed server comes back as a replica of the new master, for the next failover."""
    group = run.cluster.sentinels
    if group is None:
        raise RuntimeError("the sentinel-failover drill needs Redis with sentinels")
    pause_s = run.rng.uniform(2.0, 3.0)
    while run.pause(pause_s):
        pause_s = run.rng.uniform(8.0, 10.0)  # the load runs with a master between failovers
        old_port = group.master_port()
        killed_at = time.strftime("%H:%M:%S")
        killed = group.kill_master()
        took_s = group.wait_for_failover(old_port)
        run.faults += 1
        run.notes.append(
            f"failover {run.faults}: master :{old_port} killed at {killed_at}, "
            f"replica :{group.master_port()} promoted {took_s:.1f} s later"
        )
        if run.load_done.is_set():
            return
        group.rejoin(killed)


def terminate_connections(run: FaultRun) -> None:
    """pg_terminate_backend on every connection of the drill's database but our own."""
    engine = create_engine(run.cluster.database_url, isolation_level="AUTOCOMMIT")
    mid_transaction = 0
    try:
        while run.pause(run.rng.uniform(0.7, 1.3)):
            with engine.connect() as conn:
                killed = conn.execute(TERMINATE_OTHERS).all()
            run.faults += len(killed)
            mid_transaction += sum(row.state != "idle" for row in killed)
    finally:
        engine.dispose()
    run.notes.append(f"{mid_transaction} of them active or idle in a transaction")


def keep_second_beat(run: FaultRun) -> None:
    run.faults += 1  # the second beat process runs for the whole load
    run.load_done.wait()


def take_receiver_down(run: FaultRun) -> None:
    """Close the receiver's port for 3 to 5 s at a time; back at once when the load ends (the
    load is held open until the first outage is over)."""
    while run.pause(run.rng.uniform(1.5, 2.5)):
        run.receiver.go_down()
        run.pause(run.rng.uniform(3.0, 5.0))
        run.receiver.start()
        run.faults += 1


def all_faults(run: FaultRun) -> None:
    """Every fault in turn, in a random order each round, each at least once."""
    one_round: dict[str, Callable[[FaultRun], None]] = {
        "kill": _one(kill_mid_allocation),
        "stale-lock": _one(stop_lock_holder),
        "redis": _one(restart_redis),
        "postgres": _one(terminate_connections),
        "receiver": _one(take_receiver_down),
    }
    while not run.load_done.is_set():
        for name in run.rng.sample(list(one_round), len(one_round)):
            before = run.faults
            one_round[name](run)
            run.notes.append(f"{name}: {run.faults - before}")
            if run.load_done.is_set():
                return
        run.rounds += 1


def _one(fault: Callable[[FaultRun], None]) -> Callable[[FaultRun], None]:
    """The fault loop stopped after its first fault."""

    def once(run: FaultRun) -> None:
        stop_after_one = threading.Event()
        inner = FaultRun(
            run.cluster,
            run.receiver,
            run.rng,
            stop_after_one,
            run.drill_journal,
            notes=run.notes,
        )
        thread = threading.Thread(target=fault, args=(inner,), daemon=True)
        thread.start()
        while inner.faults == 0 and thread.is_alive() and not run.load_done.is_set():
            time.sleep(0.1)
        stop_after_one.set()
        thread.join()
        run.faults += inner.faults

    return once


def _read_key(client: redis.Redis, key: str) -> str | None:
    try:
        value = client.get(key)
    except redis.RedisError:
        return None
    return value.decode() if isinstance(value, bytes) else None if value is None else str(value)


def _fill(run: FaultRun, class_id: str) -> int:
    """Book the seats left in the class, in as few bookings as callers allow, until it is full
    (or refuses otherwise); seats taken.

    Few bookings, so that the holder stays stopped well inside a caller's attempt timeout
    however slow the machine is: a caller that gave up on the stopped command and resent it
    would be answered by another worker, and the stale command's own answer would go unseen.
    """
    taken = 0
    with run.cluster.client(timeout_s=10) as client:
        while True:
            try:
                seats = client.get_booking(class_id, "attributes")["data"]["attributes"]
            except NotFoundError:
                return taken  # cancelled and deleted by the load meanwhile: nothing to fill
            counts = seats["group_booking"]
            # Seats offered to the line are held too (an offer that lapsed meanwhile frees
            # them only for the line, which the booking serves first).
            left: int = counts["max_seats"] - counts["current_seats"] - counts["offered_seats"]
            if left <= 0:
                return taken
            told: Told = send_until_told(
                "book_seats",
                class_id,
                lambda key, n=left: client.submit_booking(seat_body(class_id, seats=n), key),
            )
            append_journal(run.drill_journal, told)
            if told.status == 201:
                taken += left
            elif "left in this class" not in (told.error or ""):
                return taken  # closed or cancelled meanwhile: refused for another reason


def _wait_for_log(run: FaultRun, name: str, line: str, count: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if run.cluster.instances[name].log_path.read_text(errors="replace").count(line) >= count:
            return
        time.sleep(0.2)
    run.notes.append(f"no '{line}' in {name}'s log after {timeout_s:g} s")


# The load run: no fault, only the checks.
NO_FAULT = Drill("load", "none: the checks after a long mixed load", expects_faults=False)

DRILLS: dict[str, Drill] = {
    drill.name: drill
    for drill in (
        Drill(
            "kill-mid-allocation",
            "SIGKILL a worker process in the middle of seat allocation",
            slow_worker_commit_s=SLOW_COMMIT_S,
            inject=kill_mid_allocation,
        ),
        Drill(
            "stale-lock",
            "SIGSTOP a worker holding a class lock until it expires, fill the class, SIGCONT",
            stale_worker=True,
            inject=stop_lock_holder,
        ),
        Drill(
            "redis-restart",
            "restart Redis (AOF on) during load, with production's visibility timeout",
            production_timeouts=True,
            inject=restart_redis,
        ),
        Drill(
            "pg-terminate",
            "pg_terminate_backend on the workers' connections mid-transaction",
            slow_worker_commit_s=SLOW_COMMIT_S,
            inject=terminate_connections,
        ),
        Drill(
            "redelivery",
            "visibility timeout of 1 s under commands that take 1.5 s: duplicate deliveries",
            # Countdowns at most half the timeout (worker/config.py refuses longer ones).
            settings={
                "BOOKINGS_VISIBILITY_TIMEOUT_S": "1",
                "BOOKINGS_RETRY_CAP_S": "0.5",
                "BOOKINGS_DELIVERY_RETRY_CAP_S": "0.5",
            },
            slow_worker_commit_s=REDELIVERY_COMMIT_S,
            counts_redeliveries=True,
        ),
        Drill(
            "worker-kill",
            "SIGKILL a whole worker (main process and pool) mid-task; its messages restored "
            "after the visibility timeout: production's 120 s, 10 s in the short form",
            production_timeouts=True,
            # CI cannot wait two minutes; countdowns at most half the timeout, as in production,
            # and a restore sweep about as frequent for its timeout as production's (10 s of 120).
            # Still longer than the short form's load, so that no restored message is killed
            # a second time in a fresh victim (kill_whole_worker).
            short_settings={
                "BOOKINGS_VISIBILITY_TIMEOUT_S": "10",
                "BOOKINGS_UNACKED_RESTORE_INTERVAL_S": "1",
                "BOOKINGS_RETRY_CAP_S": "5",
                "BOOKINGS_DELIVERY_RETRY_CAP_S": "5",
            },
            waits_out_redelivery=True,
            victim_worker=True,
            inject=kill_whole_worker,
        ),
        Drill(
            "sentinel-failover",
            "SIGKILL the Redis master under load; Sentinel promotes its replica",
            sentinel=True,
            inject=fail_over_redis,
            # The load goes on well past the few seconds without a master.
            min_duration_s=16,
        ),
        Drill("two-beats", "two beat processes at once", beats=2, inject=keep_second_beat),
        Drill("receiver-down", "the webhook receiver down for seconds", inject=take_receiver_down),
        Drill(
            "all-together",
            "every fault above in one run",
            settings={
                "BOOKINGS_VISIBILITY_TIMEOUT_S": "3",
                "BOOKINGS_RETRY_CAP_S": "1.5",
                "BOOKINGS_DELIVERY_RETRY_CAP_S": "1.5",
            },
            slow_worker_commit_s=SLOW_COMMIT_S,
            stale_worker=True,
            beats=2,
            inject=all_faults,
            holds_open_for_a_round=True,
        ),
    )
}
