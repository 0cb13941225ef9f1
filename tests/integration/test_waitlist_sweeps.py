"""The waitlist sweep: offers lapse and lines close through the real beat, once each, even with
two sweeps at once."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import create_engine, func, select

from api_client import BookingClient
from harness.bodies import class_body, seat_body
from harness.databases import fresh_database
from harness.redis_databases import redis_url
from harness.waiting import eventually
from harness.workers import running_workers
from tests.support.handlers import act, create, get
from tests.support.invariants import line_accounts
from worker.handlers import CommandRunner, HandlerDeps
from worker.handlers.line import SWEEP_LINES
from worker.storage.tables import booking_logs

pytestmark = pytest.mark.integration

# The live deployment's schedule: offers swept every second, classes completed as they end.
QUICK_SWEEPS = {
    "BOOKINGS_OFFER_SWEEP_EVERY_S": "1",
    "BOOKINGS_COMPLETE_GRACE_S": "0",
    "BOOKINGS_COMPLETE_EVERY_S": "0.5",
}


@pytest.fixture(scope="module")
def swept(backend: str, workdir: Path) -> Iterator[BookingClient]:
    """A worker with beat on `backend`. Redis: completion's database, which its tests and this
    module only use with workers started inside the module, one module at a time."""
    with (
        fresh_database(backend, workdir) as database_url,
        running_workers(
            redis_url("completion"), database_url, workdir, settings=QUICK_SWEEPS, beat=True
        ) as deployment,
        deployment.client() as client,
    ):
        yield client


def state_of(client: BookingClient, booking_id: str) -> str:
    return str(client.get_booking(booking_id)["data"]["state"])


def test_an_offer_lapses_through_the_beat_alone_and_the_next_in_line_is_offered(
    swept: BookingClient,
) -> None:
    client = swept
    body = class_body(
        max_seats=1, waitlist_size=5, waitlist_promotion="offer", offer_time="2 seconds"
    )
    class_id = client.create_booking(body)["data"]["id"]
    holder = client.create_booking(seat_body(class_id, 1, "Marty McFly"))["data"]["id"]
    first = client.create_booking(seat_body(class_id, 1, "First", waitlist=True))["data"]["id"]
    second = client.create_booking(seat_body(class_id, 1, "Second", waitlist=True))["data"]["id"]
    client.cancel_by_customer(holder)
    assert (state_of(client, first), state_of(client, second)) == ("offered", "waitlisted")

    # Nobody touches the class from here on: only reads, which never serve its line.
    eventually(lambda: state_of(client, first) == "offer_expired", timeout_s=20)

    second_now = client.get_booking(second, include=["attributes", "logs"])["data"]
    assert second_now["state"] == "offered"
    assert "offer_expires_at" in second_now["attributes"]["waitlist"]
    assert [entry["action"] for entry in second_now["logs"]] == ["create", "offer"]
    first_logs = client.get_booking(first, include=["logs"])["data"]["logs"]
    assert [entry["action"] for entry in first_logs] == ["create", "offer", "expire_offer"]
    seats = client.get_booking(class_id, include=["attributes"])["data"]["attributes"]
    assert (seats["group_booking"]["offered_seats"], seats["group_booking"]["waitlist_seats"]) == (
        1,
        0,
    )


def test_a_class_that_ends_with_a_line_is_completed_once_the_sweep_has_closed_it(
    swept: BookingClient,
) -> None:
    client = swept
    start = datetime.now(UTC) + timedelta(seconds=3)
    body = class_body(start, max_seats=1, waitlist_size=3, length=timedelta(seconds=1))
    class_id = client.create_booking(body)["data"]["id"]
    holder = client.create_booking(seat_body(class_id, 1, "Marty McFly"))["data"]["id"]
    waiting = client.create_booking(seat_body(class_id, 1, "Friend", waitlist=True))["data"]["id"]

    eventually(lambda: state_of(client, class_id) == "completed", timeout_s=30)

    assert (state_of(client, holder), state_of(client, waiting)) == (
        "completed",
        "waitlist_expired",
    )
    told = client.get_booking(waiting, include=["notifications"])["data"]["notifications"]
    assert {row["type"] for row in told} >= {"booking.waitlisted", "booking.waitlist_expired"}


# Two sweeps at once, in-process, so that they meet deterministically ------------------------

START = datetime(2033, 5, 6, 18, 0, tzinfo=UTC)
BEFORE = START - timedelta(days=3)
LAPSED = BEFORE + timedelta(hours=2)


def class_with_a_lapsed_offer(deps: HandlerDeps) -> tuple[str, str, str]:
    """A one-seat class in offer mode whose seat was offered to First an hour-long offer ago;
    (class, First, Second who waits behind)."""
    with freeze_time(BEFORE):
        body = class_body(
            START, max_seats=1, waitlist_size=5, waitlist_promotion="offer", offer_time="1 hour"
        )
        class_id = create(deps, body)["data"]["id"]
        holder = create(deps, seat_body(class_id, 1, "Holder"))["data"]["id"]
        first = create(deps, seat_body(class_id, 1, "First", waitlist=True))["data"]["id"]
        second = create(deps, seat_body(class_id, 1, "Second", waitlist=True))["data"]["id"]
        act(deps, holder, "cancel_by_customer")
    return str(class_id), str(first), str(second)


def logged(database_url: str, booking_id: str, action: str) -> int:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        count = conn.execute(
            select(func.count()).where(
                booking_logs.c.booking_id == uuid.UUID(booking_id),
                booking_logs.c.action == action,
            )
        ).scalar_one()
    engine.dispose()
    return int(count)


def test_two_sweeps_at_once_expire_each_offer_once_and_offer_each_seat_once(
    handler_deps: HandlerDeps, handler_database: str
) -> None:
    # Given 30 classes whose offers lapsed, with someone waiting behind each
    classes = [class_with_a_lapsed_offer(handler_deps) for _ in range(30)]
    errors: list[BaseException] = []
    swept: list[int] = []

    def run() -> None:
        # As the beat's task does: batches until one comes back short. `now` is passed in, so
        # no clock is frozen here: freezegun is not safe across threads.
        try:
            while True:
                classes = CommandRunner(handler_deps).run(SWEEP_LINES, None, 7, LAPSED)["classes"]
                swept.append(classes)
                if classes < 7:
                    return
        except BaseException as error:
            errors.append(error)

    # When two sweeps run at once, each in batches of 7
    sweepers = [threading.Thread(target=run) for _ in range(2)]
    for sweeper in sweepers:
        sweeper.start()
    for sweeper in sweepers:
        sweeper.join()

    # Then every lapsed offer expired once, and every seat was offered to the next once
    assert errors == []
    assert sum(swept) >= len(classes)  # with any other test's lines left in this database
    # and a sweep after them finds nothing left to do
    assert CommandRunner(handler_deps).run(SWEEP_LINES, None, 7, LAPSED)["classes"] == 0
    for class_id, first, second in classes:
        assert logged(handler_database, first, "expire_offer") == 1
        assert logged(handler_database, second, "offer") == 1
        assert get(handler_deps, second)["data"]["state"] == "offered"
        with handler_deps.read_only() as uow:
            [account] = line_accounts(uow.connection, [class_id])
        assert account.holds, account
