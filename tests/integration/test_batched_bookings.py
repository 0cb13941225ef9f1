"""Seat bookings that queue while the pool is busy are applied together, through a real worker.

A single pool process that lingers at every commit (a drill switch) makes the batch
deterministic: the bookings sent while it lingers all wait for it, and are handed to it as
one batch when it is free again (worker/batching.py).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import create_engine, text

from api_client import BookingError, PendingResult
from harness.bodies import class_body, seat_body
from harness.databases import fresh_database
from harness.redis_databases import redis_url
from harness.workers import Deployment, running_workers
from tests.support.invariants import seat_accounts
from worker.keys import class_lock_key

pytestmark = pytest.mark.integration


@contextmanager
def one_process_lingering_at_commit(
    backend: str, workdir: Path, seconds: str
) -> Iterator[tuple[str, Deployment]]:
    """A fresh database, and a worker of one pool process that lingers at every commit."""
    lingering = {
        "BOOKINGS_DRILL_PAUSE_BEFORE_COMMIT_S": seconds,
        # A killed process's lock waits out its TTL before the batch can run again.
        "BOOKINGS_LOCK_TTL_S": "2",
    }
    with (
        fresh_database(backend, workdir) as database_url,
        running_workers(
            redis_url("batches"), database_url, workdir, concurrency=1, settings=lingering
        ) as deployment,
    ):
        yield database_url, deployment


def answer_of(handle: PendingResult) -> dict[str, Any]:
    """The booking, or its refusal in Timekit's shape."""
    try:
        return handle.result()
    except BookingError as refusal:
        return refusal.to_result()


def wait_until_locked(class_id: str) -> None:
    broker = redis.Redis.from_url(redis_url("batches"))
    deadline = time.monotonic() + 30
    while not broker.exists(class_lock_key(class_id)):
        assert time.monotonic() < deadline, "no batch took the class's lock"
        time.sleep(0.01)


def wait_until_every_message_is_acked() -> None:
    """The broker's unacked hash empty: each message acked after its answer was stored."""
    broker = redis.Redis.from_url(redis_url("batches"))
    deadline = time.monotonic() + 30
    while broker.hlen("unacked"):
        assert time.monotonic() < deadline, "messages answered but never acked"
        time.sleep(0.01)


def transactions_of(database_url: str, class_id: str) -> int:
    """How many transactions made the class's seat bookings: each stamps its own time."""
    with create_engine(database_url).connect() as conn:
        query = "SELECT COUNT(DISTINCT created_at) FROM bookings WHERE owner_booking_id = :id"
        return int(conn.execute(text(query), {"id": class_id}).scalar_one())


def test_bookings_sent_while_the_pool_is_busy_are_applied_together_each_with_its_own_answer(
    backend: str, workdir: Path
) -> None:
    with (
        one_process_lingering_at_commit(backend, workdir, "1") as (database_url, deployment),
        deployment.client(timeout_s=60) as client,
    ):
        class_id = client.create_booking(class_body(max_seats=15))["data"]["id"]
        # Given twenty customers booking one seat each at once, in a class of fifteen
        pending = [client.submit_booking(seat_body(class_id, 1, f"C{i}")) for i in range(20)]

        answers = [answer_of(handle) for handle in pending]

        # Then the first fifteen to arrive hold the seats and five are refused as full, each
        # told about its own request, in fewer transactions than bookings
        names = [a["data"]["attributes"]["customer"]["name"] for a in answers if "data" in a]
        refused = [a for a in answers if "data" not in a]
        [account] = seat_accounts(database_url, [class_id])
        transactions = transactions_of(database_url, class_id)
        # and every message is acked once answered (a batch's together: worker/acks.py)
        wait_until_every_message_is_acked()
    assert names == [f"C{i}" for i in range(15)]
    assert [a["status"] for a in refused] == [409] * 5
    assert account.holds and account.current_seats == 15
    assert transactions < 15


def test_a_pool_process_killed_inside_a_batch_applies_each_of_its_bookings_exactly_once(
    backend: str, workdir: Path
) -> None:
    if backend == "sqlite":
        # What a lost process's batch comes to is the worker's and the broker's part; a batch's
        # savepoints on SQLite are tried in test_bookings_together.
        pytest.skip("a lost batch goes back to the queue the same way: tried on PostgreSQL")
    with (
        one_process_lingering_at_commit(backend, workdir, "2") as (database_url, deployment),
        deployment.client(timeout_s=90) as client,
    ):
        class_id = client.create_booking(class_body(max_seats=50))["data"]["id"]
        first = client.submit_booking(seat_body(class_id, 1, "First"))
        # Given ten bookings waiting while the first lingers at its commit
        batch = [client.submit_booking(seat_body(class_id, 2, f"C{i}")) for i in range(10)]
        first.result()
        # When the pool process is SIGKILLed while the ten linger at their shared commit (the
        # first released the class's lock before its answer: the lock is now the ten's)
        wait_until_locked(class_id)
        time.sleep(0.5)
        [pid] = deployment.worker_pids()
        os.kill(pid, signal.SIGKILL)

        # Then the ten go back to the queue, and each is applied once by the fresh process
        answers = [handle.result() for handle in batch]
        related = client.get_booking(class_id, include=["related_bookings"])["data"]
        [account] = seat_accounts(database_url, [class_id])
        logs = "".join(Path(path).read_text() for path in deployment.log_paths)
    assert "a batch of 10 bookings.create_booking ended without answers" in logs
    assert sorted(a["data"]["attributes"]["customer"]["name"] for a in answers) == sorted(
        f"C{i}" for i in range(10)
    )
    assert len(related["related_bookings"]) == 11
    assert account.holds and account.current_seats == 21
