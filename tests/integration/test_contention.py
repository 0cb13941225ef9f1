"""Hundreds of concurrent seat requests for one 20-seat class, on several worker processes.

Each guard is switched off in turn: the lock alone is for throughput, the database alone is
for truth, and with both off the same storm oversells, which proves the test can fail.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from api_client import BookingClient, ConflictError
from harness.bodies import class_body, seat_body
from harness.workers import Deployment
from tests.support.deployments import two_workers
from tests.support.invariants import SeatAccount, seat_accounts

pytestmark = pytest.mark.integration

REQUESTS = 240
MAX_SEATS = 20
LOCK_OFF = {"BOOKINGS_DRILL_LOCK_OFF": "true"}
# With both guards off, the control must see transactions overlap, not hope for it: every
# command is its own transaction (batching would run a class's bookings one after another in
# one transaction on each worker) and each stays open a moment before it commits, so four
# processes reading the class at once read the same stale count.
BOTH_OFF = {
    **LOCK_OFF,
    "BOOKINGS_DRILL_SEAT_GUARD_OFF": "true",
    "BOOKINGS_BOOKING_BATCH_MAX": "1",
    "BOOKINGS_DRILL_PAUSE_BEFORE_COMMIT_S": "0.05",
}


def storm_one_class(client: BookingClient, requests: int = REQUESTS) -> tuple[str, list[int], int]:
    """Requests of 1 to 3 seats, all enqueued before any answer is read."""
    klass = client.create_booking(class_body(max_seats=MAX_SEATS))["data"]
    rng = random.Random(2016)
    asked = [rng.randint(1, 3) for _ in range(requests)]
    pending = [
        client.submit_booking(seat_body(klass["id"], seats, name=f"Customer {i}"))
        for i, seats in enumerate(asked)
    ]
    confirmed, refused_for_seats = [], 0
    for handle in pending:
        try:
            confirmed.append(handle.result()["data"]["seats"])
        except ConflictError as refusal:
            assert "left in this class" in refusal.message, refusal.message
            refused_for_seats += 1
    assert len(confirmed) + refused_for_seats == requests
    return klass["id"], confirmed, refused_for_seats


def account_of(deployment: Deployment, class_id: str) -> SeatAccount:
    [account] = seat_accounts(deployment.database_url, [class_id])
    return account


def test_a_storm_of_seat_requests_never_oversells(backend: str, workdir: Path) -> None:
    # Given two workers with both guards on
    with (
        two_workers(backend, workdir, "contention", {}) as deployment,
        deployment.client() as client,
    ):
        # When 240 requests for 1-3 seats race for 20 seats
        class_id, confirmed, _refused = storm_one_class(client)
        # Then every seat is accounted for and the class is never past its size
        account = account_of(deployment, class_id)
    assert account.holds, account
    assert sum(confirmed) == account.seats_held <= MAX_SEATS
    assert account.seats_held >= MAX_SEATS - 2  # the class fills up (a 3 may not fit the end)


def test_the_database_guard_alone_holds_when_the_lock_is_off(backend: str, workdir: Path) -> None:
    # Given two workers that take no Redis lock at all
    with (
        two_workers(backend, workdir, "contention-lock-off", LOCK_OFF) as deployment,
        deployment.client() as client,
    ):
        # When the same storm hits one class
        class_id, confirmed, _refused = storm_one_class(client)
        account = account_of(deployment, class_id)
    # Then the conditional update and row lock alone keep the account right
    assert account.holds, account
    assert sum(confirmed) == account.seats_held <= MAX_SEATS


def test_control_with_lock_and_guard_off_the_same_storm_oversells(
    backend: str, workdir: Path
) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite's BEGIN IMMEDIATE serialises every writer, so it cannot oversell")
    # Given two workers with neither the lock nor the database guard
    with (
        two_workers(backend, workdir, "contention-both-off", BOTH_OFF) as deployment,
        deployment.client() as client,
    ):
        # When the same storm hits one class
        class_id, confirmed, _refused = storm_one_class(client)
        account = account_of(deployment, class_id)
    # Then read-modify-write loses updates and more seats are sold than exist
    assert account.oversold, account
    assert sum(confirmed) > MAX_SEATS
