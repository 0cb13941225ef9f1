"""The log channel without a second transaction per command: lines written after the commit,
marked delivered in batches, and none lost when a worker dies before its mark."""

from __future__ import annotations

import os
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from harness.bodies import class_body, seat_body
from harness.databases import fresh_database
from harness.redis_databases import redis_url
from harness.waiting import eventually
from harness.workers import Deployment, running_workers
from worker.storage.tables import outbox

pytestmark = pytest.mark.integration

# A killed process's class lock is waited out by the command handed on: well over these
# commands, short of production's 10 s.
SHORT_LOCK_TTL = {"BOOKINGS_LOCK_TTL_S": "4"}
LOG_ONLY = {"BOOKINGS_NOTIFICATION_CHANNELS": "log", **SHORT_LOCK_TTL}
# A mark that never comes within a test: whatever is delivered was marked by something else.
NO_MARK = {"BOOKINGS_LOG_MARK_EVERY_S": "3600"}
SWEEPING = {"BOOKINGS_OUTBOX_SWEEP_EVERY_S": "1"}


def log_rows(database_url: str) -> list[Any]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            query = select(outbox.c.notification_id, outbox.c.state, outbox.c.attempts)
            return list(conn.execute(query.where(outbox.c.channel == "log")).all())
    finally:
        engine.dispose()


def lines_written(log_paths: list[Path], rows: list[Any]) -> Counter[str]:
    """How many log lines each notification of `rows` got in these worker logs."""
    text = "\n".join(path.read_text(encoding="utf-8") for path in log_paths)
    return Counter(
        {str(row.notification_id): text.count(f'"id":"{row.notification_id}"') for row in rows}
    )


def all_delivered(database_url: str) -> list[Any]:
    rows = log_rows(database_url)
    return rows if rows and all(row.state == "delivered" for row in rows) else []


def book_seats(deployment: Deployment, seats: int) -> None:
    with deployment.client(timeout_s=60) as client:
        class_id = client.create_booking(class_body(max_seats=100))["data"]["id"]
        for index in range(seats):
            client.create_booking(seat_body(class_id, seats=1, name=f"C{index}"))


def test_a_worker_stopped_marks_the_lines_it_wrote_delivered_on_its_way_out(
    backend: str, workdir: Path
) -> None:
    # Given workers that would mark their log lines only after an hour
    with fresh_database(backend, workdir) as database_url:
        settings = {**LOG_ONLY, **NO_MARK, "BOOKINGS_LOG_HOLD_S": "3600"}
        with running_workers(
            redis_url("log-delivery"), database_url, workdir, settings=settings
        ) as deployment:
            book_seats(deployment, 3)
            # When their lines are written (each command's, before its answer)
            pending = log_rows(database_url)
        # And the workers are stopped
        stopped = log_rows(database_url)
    # Then the lines were written once each, and marked delivered as the pool processes left
    assert len(pending) == 6 and {row.state for row in pending} == {"pending"}
    assert {row.state for row in stopped} == {"delivered"}
    assert set(lines_written(deployment.log_paths, stopped).values()) == {1}


def test_a_worker_killed_after_writing_its_lines_before_marking_them_leaves_them_to_the_sweep(
    backend: str, workdir: Path
) -> None:
    # Given a pool process that wrote a booking's log lines and holds them for 2 s unmarked
    with fresh_database(backend, workdir) as database_url:
        settings = {**LOG_ONLY, **NO_MARK, "BOOKINGS_LOG_HOLD_S": "2"}
        with running_workers(
            redis_url("log-delivery"), database_url, workdir, concurrency=1, settings=settings
        ) as first:
            book_seats(first, 1)
            # When it is SIGKILLed before its mark
            [pid] = first.worker_pids()
            os.kill(pid, signal.SIGKILL)
            killed = log_rows(database_url)
        # Then its rows stay pending, until a worker's sweep finds them once their hold is out
        with running_workers(
            redis_url("log-delivery"),
            database_url,
            workdir,
            concurrency=1,
            settings={**LOG_ONLY, **SWEEPING},
            beat=True,
        ) as second:
            delivered = eventually(lambda: all_delivered(database_url), timeout_s=60)
    # And sends each line again: at least once in all
    assert len(killed) == 2 and {row.state for row in killed} == {"pending"}
    assert set(lines_written(first.log_paths, delivered).values()) == {1}
    assert set(lines_written(second.log_paths, delivered).values()) == {1}


def test_a_worker_killed_after_its_commit_before_writing_its_lines_still_gets_them_written(
    backend: str, workdir: Path
) -> None:
    # Given a pool process that lingers after each commit, before it writes any line
    settings = {
        **LOG_ONLY,
        **SWEEPING,
        "BOOKINGS_DRILL_PAUSE_AFTER_COMMIT_S": "1.5",
        "BOOKINGS_LOG_HOLD_S": "1",
    }
    with (
        fresh_database(backend, workdir) as database_url,
        running_workers(
            redis_url("log-delivery"),
            database_url,
            workdir,
            concurrency=1,
            settings=settings,
            beat=True,
        ) as deployment,
        deployment.client(timeout_s=60) as client,
    ):
        class_id = client.create_booking(class_body(max_seats=5))["data"]["id"]
        client.submit_booking(seat_body(class_id, seats=2))
        # When it is SIGKILLed once the booking and its log rows are committed
        eventually(lambda: log_rows(database_url), every_s=0.02)
        [pid] = deployment.worker_pids()
        os.kill(pid, signal.SIGKILL)

        # Then the sweep sends each line once the rows' hold is out, and marks them delivered
        delivered = eventually(lambda: all_delivered(database_url), timeout_s=60)
    assert len(delivered) == 2
    assert min(lines_written(deployment.log_paths, delivered).values()) >= 1


@pytest.mark.parametrize(
    ("hold_s", "mark_every_s", "sent_twice"),
    [
        ("10", "0.5", False),
        # Control: a hold shorter than the wait for the mark lets the sweep send lines again.
        ("0.2", "6", True),
    ],
    ids=["hold-outlasts-mark", "control-hold-too-short"],
)
def test_the_sweep_leaves_alone_the_rows_that_await_their_batched_mark(
    backend: str, workdir: Path, hold_s: str, mark_every_s: str, sent_twice: bool
) -> None:
    # Given workers whose sweep looks for pending rows every second
    settings = {
        **LOG_ONLY,
        **SWEEPING,
        "BOOKINGS_LOG_HOLD_S": hold_s,
        "BOOKINGS_LOG_MARK_EVERY_S": mark_every_s,
    }
    with (
        fresh_database(backend, workdir) as database_url,
        running_workers(
            redis_url("log-delivery"), database_url, workdir, settings=settings, beat=True
        ) as deployment,
    ):
        # When seats are booked and their lines written
        book_seats(deployment, 4)
        # Then every row ends delivered
        delivered = eventually(lambda: all_delivered(database_url), timeout_s=60)
        written = lines_written(deployment.log_paths, delivered)
    # And, while each waited for its mark, none was sent again (unless the hold ran out first)
    assert len(delivered) == 8
    assert min(written.values()) >= 1
    assert (max(written.values()) > 1) is sent_twice, written
