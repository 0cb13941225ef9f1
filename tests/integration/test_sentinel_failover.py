"""Redis fails over under a worker, a client and the gateway: all of them follow Sentinel.

A master, a replica and three sentinels (harness/sentinels.py); the master is SIGKILLed and
the replica promoted. The worker's broker, results and locks, the client and the gateway's
result subscription each reach the new master through the sentinels, and a command resent
under its key after the failover is applied once. The master has a name of its own, so that
a process that missed BOOKINGS_REDIS_MASTER_NAME would find no master at all.
"""

from __future__ import annotations

import base64
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from api_client import BookingClient, BookingError, BusyError, ResultTimeoutError
from api_client.redis_urls import MASTER_NAME_VARIABLE
from harness.bodies import class_body, in_days, seat_body
from harness.databases import fresh_database
from harness.gateways import GatewayServer, running_gateway
from harness.sentinels import SentinelGroup, own_sentinel_group
from harness.workers import running_workers

pytestmark = pytest.mark.integration
T = TypeVar("T")

MASTER = "bookings-ha"
KEY = "sentinel-test-key"
# A failover takes a few seconds; a caller gets its answer well inside this.
ANSWER_WITHIN_S = 60.0
ATTEMPT_TIMEOUT_S = 5.0


@pytest.fixture
def group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SentinelGroup]:
    # The test's own clients read the name from the environment, as a user's would.
    monkeypatch.setenv(MASTER_NAME_VARIABLE, MASTER)
    with own_sentinel_group(tmp_path / "redis", MASTER) as sentinels:
        yield sentinels


def until_answered(send: Callable[[], dict[str, Any] | None]) -> tuple[dict[str, Any], int]:
    """What `send` returned once it returned an answer, and how many sends that took."""
    deadline = time.monotonic() + ANSWER_WITHIN_S
    attempts = 0
    while time.monotonic() < deadline:
        attempts += 1
        answer = send()
        if answer is not None:
            return answer, attempts
        time.sleep(0.2)
    raise AssertionError(f"no answer within {ANSWER_WITHIN_S:g} s ({attempts} sends)")


def through_gateway(
    gateway: GatewayServer, body: dict[str, Any], key: str
) -> dict[str, Any] | None:
    auth = base64.b64encode(f":{gateway.api_key}".encode()).decode()
    try:
        response = httpx.post(
            f"{gateway.base_url}/v2/bookings",
            json=body,
            headers={"Authorization": f"Basic {auth}", "Idempotency-Key": key},
            timeout=ATTEMPT_TIMEOUT_S + 5,
        )
    except httpx.TransportError:
        return None
    if response.status_code != 201:  # 202: not answered within the wait; 5xx: Redis away
        return None
    answer: dict[str, Any] = response.json()
    return answer


def within_deadline(call: Callable[[], T], seconds: float) -> T | None:
    """What `call` returns, or None if it has not returned within `seconds`.

    A client whose result connection died with the master may block past its own timeout while
    Celery reconnects; the attempt is then given up (its thread left behind, as a daemon), and
    the caller tries again with a fresh client, as a careful caller would.
    """
    answers: queue.Queue[tuple[bool, Any]] = queue.Queue()

    def run() -> None:
        try:
            answers.put((True, call()))
        except BaseException as error:
            answers.put((False, error))

    threading.Thread(target=run, daemon=True).start()
    try:
        returned, value = answers.get(timeout=seconds)
    except queue.Empty:
        return None
    if not returned:
        raise value
    answer: T = value
    return answer


def through_client(url: str, body: dict[str, Any], key: str) -> dict[str, Any] | None:
    def attempt() -> dict[str, Any] | None:
        # A fresh client each time: it asks the sentinels for the master anew.
        with BookingClient(url, timeout_s=ATTEMPT_TIMEOUT_S) as client:
            try:
                return client.submit_booking(body, key).result(ATTEMPT_TIMEOUT_S)
            except (ResultTimeoutError, BusyError):
                return None  # not answered yet: the worker may still be reconnecting
            except BookingError:
                raise
            except Exception:  # the broker or the result connection while there is no master
                return None

    return within_deadline(attempt, ATTEMPT_TIMEOUT_S + 10)


def read_class(url: str, class_id: str) -> dict[str, Any] | None:
    with BookingClient(url, timeout_s=ATTEMPT_TIMEOUT_S) as client:
        try:
            booking = client.get_booking(class_id, "attributes")
        except ResultTimeoutError:
            return None
        attributes: dict[str, Any] = booking["data"]["attributes"]
        return attributes


def test_the_worker_the_client_and_the_gateway_carry_on_after_the_master_is_killed(
    group: SentinelGroup, tmp_path: Path
) -> None:
    url, named = group.url(0), {MASTER_NAME_VARIABLE: MASTER}
    gateway_settings = {**named, "BOOKINGS_WAIT_S": str(ATTEMPT_TIMEOUT_S)}
    with (
        fresh_database("postgresql", tmp_path) as database_url,
        running_workers(url, database_url, tmp_path, settings=named),
        running_gateway(url, KEY, tmp_path, gateway_settings) as gateway,
        BookingClient(url, timeout_s=ATTEMPT_TIMEOUT_S) as client,
    ):
        # Given a class, booked through both before the failover
        klass = client.create_booking(class_body(in_days(3), max_seats=10))["data"]
        assert through_gateway(gateway, seat_body(klass["id"]), str(uuid.uuid4())) is not None
        first_master = group.master_port()

        # When the master is killed and its replica promoted
        group.kill_master()
        failover_s = group.wait_for_failover(first_master)

        # Then a booking sent through each, again under its key until answered, is made once
        started = time.monotonic()
        gateway_key, client_key = str(uuid.uuid4()), str(uuid.uuid4())
        by_gateway, _ = until_answered(
            lambda: through_gateway(gateway, seat_body(klass["id"], seats=2), gateway_key)
        )
        by_client, _ = until_answered(
            lambda: through_client(url, seat_body(klass["id"], seats=3), client_key)
        )
        waited_s = time.monotonic() - started
        again = until_answered(
            lambda: through_gateway(gateway, seat_body(klass["id"], seats=2), gateway_key)
        )[0]
        seats, _ = until_answered(
            lambda: within_deadline(lambda: read_class(url, klass["id"]), ATTEMPT_TIMEOUT_S + 10)
        )

    assert group.master_port() != first_master
    assert by_gateway["data"]["state"] == by_client["data"]["state"] == "confirmed"
    assert again["data"]["id"] == by_gateway["data"]["id"]  # the resend was not applied again
    assert seats["group_booking"]["current_seats"] == 1 + 2 + 3
    assert failover_s + waited_s < ANSWER_WITHIN_S
