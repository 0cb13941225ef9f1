"""The client's own costs: submitting with no worker to answer, and collecting results already
stored; each timed call by call, in one client process, for the run's table."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import redis

from api_client import BookingClient, PendingResult
from api_client.contract.tasks import QUEUE

from .load import RESULT_TIMEOUT_S, Measurement, Workload, seat_request

# The workers have taken every task and stored its answer once the queue is empty and this long
# has passed: longer than any one booking takes, short beside the phase.
SETTLE_S = 1.0
QUEUE_POLL_S = 0.05


# What the client submits with no worker running: the no-op, then a seat booking.
SUBMIT_ONLY_PING = Workload("client submit only, no-op ping (no worker)", "submits")
SUBMIT_ONLY_BOOKING = Workload("client submit only, seat booking (no worker)", "submits")
SUBMIT_ONLY = (SUBMIT_ONLY_PING, SUBMIT_ONLY_BOOKING)


def measure_submit_only(redis_url: str, workload: Workload, count: int) -> Measurement:
    """`count` submits timed one by one, nobody consuming them: the client's cost to enqueue
    (for a booking, its body built, validated by the contract and serialised, then published).

    Run while no worker serves `redis_url`; the queue is emptied afterwards. The classes are
    made-up ids: the client validates a body's shape, never whether its class exists.
    """
    classes = tuple(str(uuid.uuid4()) for _ in range(100))
    with BookingClient(redis_url, timeout_s=RESULT_TIMEOUT_S) as client:
        submit: Callable[[int], PendingResult]
        if workload == SUBMIT_ONLY_BOOKING:
            submit = lambda sequence: client.submit_booking(seat_request(classes, 0, 1, sequence))  # noqa: E731
        else:
            submit = lambda _sequence: client.submit_ping()  # noqa: E731
        measurement = _timed_calls(count, submit)
    redis.Redis.from_url(redis_url).flushdb()
    return measurement


def collection_workload() -> Workload:
    return Workload("client result collection, seat bookings (answers stored)", "results")


def measure_collection(redis_url: str, classes: tuple[str, ...], count: int) -> Measurement:
    """`count` seat bookings submitted and answered first; then only their collection is timed."""
    with BookingClient(redis_url, timeout_s=RESULT_TIMEOUT_S) as client:
        handles = [
            client.submit_booking(seat_request(classes, 0, 1, sequence))
            for sequence in range(count)
        ]
        _wait_until_answered(redis_url, handles[-1])
        return _timed_calls(count, lambda sequence: handles[sequence].result())


def _wait_until_answered(redis_url: str, last: PendingResult) -> None:
    """Read on a connection of its own: collecting any answer through the client would drain
    the others' published answers too, and leave nothing for the timed collection to do."""
    server = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + RESULT_TIMEOUT_S
    # The queue is first in, first out: once the last one is answered, all were.
    while time.monotonic() < deadline:
        if server.llen(QUEUE) == 0 and server.exists(last.result_key):
            break
        time.sleep(QUEUE_POLL_S)
    time.sleep(SETTLE_S)


def _timed_calls(count: int, call: Callable[[int], object]) -> Measurement:
    latencies_ms = []
    started = time.monotonic()
    for sequence in range(count):
        called = time.monotonic()
        call(sequence)
        latencies_ms.append((time.monotonic() - called) * 1000)
    elapsed_s = time.monotonic() - started
    return Measurement(len(latencies_ms), 0, None, elapsed_s, latencies_ms)
