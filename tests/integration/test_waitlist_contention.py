"""A full class with a long waitlist under a storm of cancels, raises and newcomers at once.

Twenty holders cancel, the owner raises the class's size five times and twenty newcomers ask
to wait, all enqueued before any answer is read, on two worker instances of two processes
each. The counters must stay the sums they stand for, no entry may be promoted twice, and the
class's whole history, replayed from its logs, must be the rules' first fit in order of arrival
at every step. With the Redis lock and the database guard both off, the same storm breaks the
counters, which proves the test can fail.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from uuid import UUID

import pytest
from sqlalchemy import Connection, create_engine, select

from api_client import BookingClient, BookingError, ConflictError, PendingResult
from harness.bodies import class_body, seat_body
from harness.workers import Deployment
from tests.support.deployments import two_workers
from tests.support.invariants import LineAccount, line_accounts
from tests.support.line_history import ClassModel, replay_class
from worker.storage.tables import booking_logs, bookings

pytestmark = pytest.mark.integration

MAX_SEATS = 20
IN_LINE = 40  # waiting entries of 1-2 seats: at least 40 seats, more than any raise frees
NEWCOMERS = 20
RAISES = (22, 24, 26, 28, 30)  # in a random order, so a late small one may be refused
WAITLIST_SIZE = 200  # room for every newcomer: a full line is not what this storm is about
LOCK_OFF = {"BOOKINGS_DRILL_LOCK_OFF": "true"}
BOTH_OFF = {**LOCK_OFF, "BOOKINGS_DRILL_SEAT_GUARD_OFF": "true"}
# The control's storms, each on a fresh class, until one breaks the counters. A lost update
# needs two commands to overlap: each of the 24 storms tried while writing this test broke
# them on its own; the others are a margin, so that the control never passes by luck.
CONTROL_STORMS = 5


@dataclass(frozen=True)
class Answers:
    cancelled: int
    raised: int
    refused_raises: int
    seated: int
    waiting: int
    failed: int  # only the control may fail a command


def full_class_with_a_line(client: BookingClient, rng: random.Random) -> tuple[str, list[str]]:
    """20 one-seat holders and 40 waiting entries of 1-2 seats, booked one at a time (so the
    control's unguarded workers set up the same class)."""
    body = class_body(max_seats=MAX_SEATS, waitlist_size=WAITLIST_SIZE)
    class_id = str(client.create_booking(body)["data"]["id"])
    holders = [
        str(client.create_booking(seat_body(class_id, 1, f"Holder {n}"))["data"]["id"])
        for n in range(MAX_SEATS)
    ]
    for n in range(IN_LINE):
        entry = client.create_booking(
            seat_body(class_id, rng.randint(1, 2), f"Waiting {n}", waitlist=True)
        )["data"]
        assert entry["state"] == "waitlisted", entry
    return class_id, holders


def storm(
    client: BookingClient, class_id: str, holders: list[str], rng: random.Random, *, strict: bool
) -> Answers:
    """Every cancel, raise and newcomer enqueued in a shuffled order, then every answer read."""
    cancel, raise_to = client.submit_action, client.submit_set_max_seats
    sends: list[tuple[str, Callable[[], PendingResult]]] = [
        ("cancel", partial(cancel, holder, "cancel_by_customer", "Can't come"))
        for holder in holders
    ]
    sends += [("raise", partial(raise_to, class_id, n, "A bigger room")) for n in RAISES]
    sends += [
        ("newcomer", partial(client.submit_booking, body))
        for body in [
            seat_body(class_id, rng.randint(1, 2), f"Newcomer {n}", waitlist=True)
            for n in range(NEWCOMERS)
        ]
    ]
    rng.shuffle(sends)
    pending = [(kind, send()) for kind, send in sends]
    outcomes: Counter[str] = Counter()
    for kind, handle in pending:
        outcomes[_outcome(kind, handle, strict=strict)] += 1
    return Answers(*(outcomes[name] for name in Answers.__dataclass_fields__))


def _outcome(kind: str, handle: PendingResult, *, strict: bool) -> str:
    try:
        data = handle.result()["data"]
    except ConflictError as refusal:
        # Raises race: one committed after a larger one may be below the seats taken by then.
        if kind == "raise" and "cannot go below" in refusal.message:
            return "refused_raises"
        if strict:
            raise
        return "failed"
    except BookingError:
        if strict:
            raise
        return "failed"
    if kind == "cancel":
        return "cancelled"
    if kind == "raise":
        return "raised"
    return {"confirmed": "seated", "waitlisted": "waiting"}[data["state"]]


def promotions_per_booking(conn: Connection, class_id: str) -> Counter[UUID]:
    seat_bookings = select(bookings.c.id).where(bookings.c.owner_booking_id == UUID(class_id))
    query = select(booking_logs.c.booking_id).where(
        booking_logs.c.action == "promote", booking_logs.c.booking_id.in_(seat_bookings)
    )
    return Counter(conn.execute(query).scalars())


def smallest_waiting(conn: Connection, class_id: str) -> int | None:
    query = select(bookings.c.seats).where(
        bookings.c.owner_booking_id == UUID(class_id), bookings.c.state == "waitlisted"
    )
    return min(conn.execute(query).scalars(), default=None)


@dataclass(frozen=True)
class Outcome:
    account: LineAccount
    promotions: Counter[UUID]
    smallest_waiting: int | None
    replayed: ClassModel


def outcome_of(deployment: Deployment, class_id: str) -> Outcome:
    engine = create_engine(deployment.database_url)
    try:
        with engine.connect() as conn:
            [account] = line_accounts(conn, [class_id])
            promotions = promotions_per_booking(conn, class_id)
            smallest = smallest_waiting(conn, class_id)
            replayed = replay_class(conn, class_id, MAX_SEATS)
        return Outcome(account, promotions, smallest, replayed)
    finally:
        engine.dispose()


def broken_account(deployment: Deployment, class_id: str) -> LineAccount:
    engine = create_engine(deployment.database_url)
    try:
        with engine.connect() as conn:
            [account] = line_accounts(conn, [class_id])
        return account
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("redis_user", "settings"),
    [("waitlist-contention", {}), ("waitlist-contention-lock-off", LOCK_OFF)],
    ids=["both-guards", "database-guard-alone"],
)
def test_a_storm_on_a_full_class_with_a_line_promotes_first_fits_in_arrival_order_once(
    backend: str, workdir: Path, redis_user: str, settings: dict[str, str]
) -> None:
    # Given a full 20-seat class with 40 entries of 1-2 seats in its line, on two workers
    with two_workers(backend, workdir, redis_user, settings) as deployment:
        with deployment.client() as client:
            rng = random.Random(2011)
            class_id, holders = full_class_with_a_line(client, rng)
            # When every holder cancels while the owner raises five times and 20 newcomers ask
            answers = storm(client, class_id, holders, rng, strict=True)
        outcome = outcome_of(deployment, class_id)

    # Then every command was answered as the rules allow
    assert (answers.cancelled, answers.raised + answers.refused_raises) == (20, 5), answers
    assert answers.seated + answers.waiting == NEWCOMERS, answers
    account = outcome.account
    # and every counter is the sum it stands for, within max_seats and the waitlist's size
    assert account.holds, account
    assert account.max_seats >= RAISES[0]
    # and no entry was promoted twice
    assert outcome.promotions, "the storm promoted nobody"
    assert max(outcome.promotions.values()) == 1, outcome.promotions
    # and nobody still waiting fits the seats that are free
    free = account.max_seats - account.current_seats - account.offered_seats
    assert outcome.smallest_waiting is not None and outcome.smallest_waiting > free, (
        outcome.smallest_waiting,
        free,
    )
    # and replayed in the order the class row serialised them, every command promoted exactly
    # the entries the rules pick (replay_class raises otherwise), and the rows are its result
    assert outcome.replayed.promotions == sum(outcome.promotions.values())


def test_control_with_lock_and_guard_off_the_same_storm_breaks_the_counts(
    backend: str, workdir: Path
) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite's BEGIN IMMEDIATE serialises every writer, so no read goes stale")
    # Given two workers with neither the Redis lock nor the database guard
    accounts: list[LineAccount] = []
    with (
        two_workers(backend, workdir, "waitlist-contention-both-off", BOTH_OFF) as deployment,
        deployment.client() as client,
    ):
        rng = random.Random(2011)
        while len(accounts) < CONTROL_STORMS and all(a.holds for a in accounts):
            # When the same storm hits a fresh full class with a line
            class_id, holders = full_class_with_a_line(client, rng)
            storm(client, class_id, holders, rng, strict=False)
            accounts.append(broken_account(deployment, class_id))
    # Then commands that read the class unlocked write counters from a stale read: they no
    # longer match the bookings they count
    assert not accounts[-1].holds, accounts
