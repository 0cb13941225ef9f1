"""Redis restarting under a command: the caller still learns the truth (found by a fault drill).

Before the fix, a worker that finished a booking while Redis was away recorded the task as
failed (its result could not be stored), so the caller was told "failed" about a booking that
was made; and an allocation that found Redis away failed instead of waiting for it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from api_client import BookingClient, BookingError, BusyError, ResultTimeoutError
from harness.bodies import class_body, seat_body
from harness.databases import fresh_database
from harness.redis_servers import RedisServer, own_redis
from harness.workers import Deployment, running_workers
from tests.support.invariants import seat_accounts

pytestmark = pytest.mark.integration

PAUSE_BEFORE_COMMIT_S = 1.5
# Well over a command (its pause included), short of production's 10 s: a lock whose release
# found Redis away, or that Redis kept through its restart, expires by its TTL, and the next
# command on the class waits for that.
LOCK_TTL_S = 4.0


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    with own_redis(tmp_path / "redis") as server:
        yield server


@pytest.fixture
def slow_commits(redis_server: RedisServer, tmp_path: Path) -> Iterator[Deployment]:
    """A worker whose commands hold their transaction open before committing."""
    settings = {
        "BOOKINGS_NOTIFICATION_CHANNELS": "",
        "BOOKINGS_DRILL_PAUSE_BEFORE_COMMIT_S": str(PAUSE_BEFORE_COMMIT_S),
        "BOOKINGS_LOCK_TTL_S": str(LOCK_TTL_S),
    }
    with (
        fresh_database("postgresql", tmp_path) as database_url,
        running_workers(redis_server.url(0), database_url, tmp_path, settings=settings) as workers,
    ):
        yield workers


def restart_after(server: RedisServer, delay_s: float, down_s: float) -> threading.Thread:
    thread = threading.Thread(target=lambda: (time.sleep(delay_s), server.restart(down_s)))
    thread.start()
    return thread


def answer_despite_outages(client: BookingClient, body: dict[str, object], key: str) -> object:
    """What a careful caller does: send again under the same key until answered; a refusal
    or a failure is an answer."""
    for _ in range(60):
        try:
            return client.submit_booking(body, key).result(10)
        except (ResultTimeoutError, BusyError):
            pass
        except BookingError:
            raise
        except Exception:  # Redis away: the broker or the result connection
            pass
        time.sleep(0.5)
    raise AssertionError("never answered")


def test_a_booking_committed_while_redis_restarts_is_answered_as_made(
    redis_server: RedisServer, slow_commits: Deployment
) -> None:
    with slow_commits.client(timeout_s=30) as client:
        klass = client.create_booking(class_body(max_seats=5))["data"]
        handle = client.submit_booking(seat_body(klass["id"], seats=2), "restart-during-commit")
        # Redis goes away while the worker sits in its transaction, and is back before long.
        restart_after(redis_server, delay_s=0.5, down_s=1.5).join()

        answer = handle.result(30)  # the task's own result, stored once Redis was back

    assert answer["data"]["state"] == "confirmed"
    [account] = seat_accounts(slow_commits.database_url, [klass["id"]])
    assert account.current_seats == 2 and account.holds


def test_an_allocation_that_finds_redis_away_waits_for_it(
    redis_server: RedisServer, slow_commits: Deployment
) -> None:
    with slow_commits.client(timeout_s=30) as client:
        klass = client.create_booking(class_body(max_seats=5))["data"]
        body = seat_body(klass["id"], seats=1)
        client.submit_booking(body, "before-the-outage")  # keeps the worker busy
        second = client.submit_booking(body, "during-the-outage")
        restart_after(redis_server, delay_s=0.8, down_s=2.0).join()

        first_answer = answer_despite_outages(client, body, "before-the-outage")
        second_answer = answer_despite_outages(client, body, second.idempotency_key or "")

    assert isinstance(first_answer, dict) and isinstance(second_answer, dict)
    assert first_answer["data"]["id"] != second_answer["data"]["id"]
    [account] = seat_accounts(slow_commits.database_url, [klass["id"]])
    assert account.current_seats == 2 and account.holds


def test_a_retry_that_finds_redis_away_waits_for_it_instead_of_failing_the_command(
    redis_server: RedisServer, slow_commits: Deployment
) -> None:
    with slow_commits.client(timeout_s=30) as client:
        klass = client.create_booking(class_body(max_seats=5))["data"]
        # Given a booking paused inside its transaction
        handle = client.submit_booking(seat_body(klass["id"], seats=2), "retry-while-away")
        time.sleep(0.5)
        # When its database connection is cut and Redis stops, so that its commit fails and
        # its retry must be published while Redis is away
        cut_database_connections(slow_commits.database_url)
        redis_server.stop()
        time.sleep(PAUSE_BEFORE_COMMIT_S + 1.0)
        redis_server.start()

        # Then the retry goes out once Redis is back, and the caller learns the booking was
        # made (before the fix: "the worker failed: reject requeue=False", and the message,
        # never acked, applied the booking later)
        answer = handle.result(30)

    assert answer["data"]["state"] == "confirmed"
    [account] = seat_accounts(slow_commits.database_url, [klass["id"]])
    assert account.current_seats == 2 and account.holds


def cut_database_connections(database_url: str) -> None:
    """pg_terminate_backend on every other connection to the database: the workers'."""
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
    finally:
        engine.dispose()
