"""A class locked by another worker makes a booking wait and retry, not fail."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from api_client import BookingClient, BusyError
from harness.bodies import class_body, seat_body
from harness.databases import fresh_database
from harness.redis_databases import redis_url
from harness.workers import Deployment, running_workers
from worker.keys import class_lock_key

pytestmark = pytest.mark.integration

IMPATIENT = {
    "BOOKINGS_LOCK_WAIT_S": "0.2",
    "BOOKINGS_LOCK_RETRIES": "5",
    "BOOKINGS_RETRY_BASE_S": "0.1",
    "BOOKINGS_RETRY_CAP_S": "0.3",
}


@pytest.fixture(scope="module")
def impatient(workdir: Path) -> Iterator[Deployment]:
    with (
        fresh_database("postgresql", workdir) as database_url,
        running_workers(
            redis_url("lock-waits"), database_url, workdir, settings=IMPATIENT
        ) as deployment,
    ):
        yield deployment


def hold_lock(deployment: Deployment, class_id: str, seconds: float) -> threading.Thread:
    lock = redis.Redis.from_url(deployment.redis_url).lock(
        class_lock_key(class_id), timeout=30, thread_local=False
    )
    assert lock.acquire(blocking=False)

    def release_later() -> None:
        time.sleep(seconds)
        lock.release()

    holder = threading.Thread(target=release_later)
    holder.start()
    return holder


def test_a_booking_retries_while_the_class_is_locked_and_succeeds_after(
    impatient: Deployment,
) -> None:
    with impatient.client() as client:
        klass = client.create_booking(class_body())["data"]
        holder = hold_lock(impatient, klass["id"], seconds=0.6)

        booked = client.create_booking(seat_body(klass["id"]))

        holder.join()
    assert booked["data"]["state"] == "confirmed"


def test_a_class_locked_through_every_retry_answers_busy(impatient: Deployment) -> None:
    client: BookingClient
    with impatient.client() as client:
        klass = client.create_booking(class_body())["data"]
        # Held until the answer is in, however long the retries take on a slow machine.
        lock = redis.Redis.from_url(impatient.redis_url).lock(
            class_lock_key(klass["id"]), timeout=120, thread_local=False
        )
        assert lock.acquire(blocking=False)
        try:
            with pytest.raises(BusyError) as busy:
                client.create_booking(seat_body(klass["id"]))
        finally:
            lock.release()
        # Nothing was booked, and the same request goes through once the lock is free
        retried = client.create_booking(seat_body(klass["id"]))
    assert busy.value.status == 503
    assert retried["data"]["state"] == "confirmed"
