"""Workers die mid-task: every command still gets exactly one outcome, applied once."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from pathlib import Path
from uuid import UUID

import pytest
from sqlalchemy import create_engine, func, make_url, select, text

from harness.bodies import class_body, seat_body
from harness.databases import fresh_database
from harness.redis_databases import redis_url
from harness.waiting import eventually
from harness.workers import running_workers
from tests.support.invariants import seat_accounts
from worker.storage.tables import bookings

pytestmark = pytest.mark.integration

COMMANDS = 150
KILLS = 4
# A killed process's class lock stays taken until its TTL runs out, and the command handed
# to another process waits for it: a TTL well over these commands (a 1.5 s pause at most),
# short of production's 10 s that each test would otherwise wait out.
SHORT_LOCK_TTL = {"BOOKINGS_LOCK_TTL_S": "4"}
# PostgreSQL: a transaction left open, as the worker's is while it pauses before its commit.
OPEN_TRANSACTIONS = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
    " AND state = 'idle in transaction'"
)


def transaction_open(database_url: str) -> bool:
    """Whether a worker holds a transaction open: PostgreSQL lists it idle in a transaction;
    SQLite's write lock (every worker transaction takes it first, BEGIN IMMEDIATE) is taken."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        probe = sqlite3.connect(str(url.database), timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:  # database is locked
            return True
        finally:
            probe.close()
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(OPEN_TRANSACTIONS).scalar_one())
    finally:
        engine.dispose()


def seat_booking_committed(database_url: str, class_id: str) -> bool:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            query = select(func.count()).where(bookings.c.owner_booking_id == UUID(class_id))
            return bool(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


def wait_until_paused(database_url: str, class_id: str, pause: str) -> None:
    """Until the worker's one command is inside its pause: before the commit, its transaction
    is open; after it, its seat booking is committed (the pause lasts 1.5 s either way)."""
    if pause == "BOOKINGS_DRILL_PAUSE_AFTER_COMMIT_S":
        eventually(lambda: seat_booking_committed(database_url, class_id), every_s=0.05)
    else:
        eventually(lambda: transaction_open(database_url), every_s=0.05)


def test_killing_pool_processes_mid_load_loses_nothing_and_applies_nothing_twice(
    backend: str, workdir: Path
) -> None:
    with (
        fresh_database(backend, workdir) as database_url,
        running_workers(
            redis_url("worker-loss"),
            database_url,
            workdir,
            workers=2,
            concurrency=2,
            settings=SHORT_LOCK_TTL,
        ) as deployment,
        deployment.client(timeout_s=120) as client,
    ):
        classes = [
            client.create_booking(class_body(max_seats=1000))["data"]["id"] for _ in range(3)
        ]
        # Given a stream of seat bookings in flight
        pending = [
            client.submit_booking(seat_body(classes[i % 3], seats=1 + i % 2, name=f"C{i}"))
            for i in range(COMMANDS)
        ]
        killed: list[int] = []

        def kill_pool_processes() -> None:
            for _ in range(KILLS):
                time.sleep(0.15)
                pids = deployment.worker_pids()
                if pids:
                    os.kill(pids[0], signal.SIGKILL)
                    killed.append(pids[0])

        # When pool processes are SIGKILLed while they run tasks
        killer = threading.Thread(target=kill_pool_processes)
        killer.start()
        results = [handle.result() for handle in pending]
        killer.join()

        # Then every command was answered as confirmed, once each
        booked_ids = [result["data"]["id"] for result in results]
        accounts = seat_accounts(database_url, classes)
        seat_bookings = sum(
            len(client.get_booking(c, include=["related_bookings"])["data"]["related_bookings"])
            for c in classes
        )
    assert len(killed) == KILLS
    assert len(set(booked_ids)) == COMMANDS
    assert seat_bookings == COMMANDS
    assert all(account.holds for account in accounts), accounts
    assert sum(account.seats_held for account in accounts) == sum(
        1 + i % 2 for i in range(COMMANDS)
    )


@pytest.mark.parametrize(
    "pause", ["BOOKINGS_DRILL_PAUSE_BEFORE_COMMIT_S", "BOOKINGS_DRILL_PAUSE_AFTER_COMMIT_S"]
)
def test_a_worker_killed_just_before_or_after_commit_applies_the_booking_exactly_once(
    backend: str, workdir: Path, pause: str
) -> None:
    # Given a single pool process that lingers at the commit of every command
    with (
        fresh_database(backend, workdir) as database_url,
        running_workers(
            redis_url("worker-loss"),
            database_url,
            workdir,
            concurrency=1,
            settings={pause: "1.5", **SHORT_LOCK_TTL},
        ) as deployment,
        deployment.client(timeout_s=60) as client,
    ):
        class_id = client.create_booking(class_body(max_seats=5))["data"]["id"]
        handle = client.submit_booking(seat_body(class_id, seats=2))
        wait_until_paused(database_url, class_id, pause)

        # When that process is SIGKILLed there
        [pid] = deployment.worker_pids()
        os.kill(pid, signal.SIGKILL)

        # Then the message is redelivered to the fresh process and applied exactly once
        booked = handle.result()
        related = client.get_booking(class_id, include=["related_bookings"])["data"]
        [account] = seat_accounts(database_url, [class_id])
    assert booked["data"]["state"] == "confirmed"
    assert [entry["id"] for entry in related["related_bookings"]] == [booked["data"]["id"]]
    assert account.holds and account.current_seats == 2


def test_a_whole_worker_killed_mid_task_hands_its_message_to_another_after_the_visibility_timeout(
    backend: str, workdir: Path
) -> None:
    if backend == "sqlite":
        pytest.skip("the visibility timeout is the broker's: tried once, on PostgreSQL")
    drill = {
        "BOOKINGS_DRILL_PAUSE_BEFORE_COMMIT_S": "1.5",
        "BOOKINGS_VISIBILITY_TIMEOUT_S": "3",
        # Countdowns at most half the timeout (worker/config.py refuses longer ones).
        "BOOKINGS_RETRY_CAP_S": "1.5",
        "BOOKINGS_DELIVERY_RETRY_CAP_S": "1.5",
        "BOOKINGS_UNACKED_RESTORE_INTERVAL_S": "1",
        **SHORT_LOCK_TTL,
    }
    with fresh_database(backend, workdir) as database_url:
        # Given a worker machine that has taken a booking and is inside its transaction
        with running_workers(
            redis_url("worker-loss"), database_url, workdir, concurrency=1, settings=drill
        ) as first_machine:
            client = first_machine.client(timeout_s=60)
            class_id = client.create_booking(class_body(max_seats=5))["data"]["id"]
            handle = client.submit_booking(seat_body(class_id, seats=3))
            wait_until_paused(database_url, class_id, "BOOKINGS_DRILL_PAUSE_BEFORE_COMMIT_S")
            # When the whole machine dies: main process and pool process alike
            for pid in [*first_machine.worker_pids(), *(p.pid for p in first_machine.processes)]:
                os.kill(pid, signal.SIGKILL)

        # Then another worker restores the unacknowledged message and applies it once
        with running_workers(
            redis_url("worker-loss"),
            database_url,
            workdir,
            concurrency=1,
            settings=drill,
            flush_redis=False,
        ):
            booked = handle.result()
            related = client.get_booking(class_id, include=["related_bookings"])["data"]
        client.close()
        [account] = seat_accounts(database_url, [class_id])
    assert booked["data"]["state"] == "confirmed"
    assert [entry["id"] for entry in related["related_bookings"]] == [booked["data"]["id"]]
    assert account.holds and account.current_seats == 3
