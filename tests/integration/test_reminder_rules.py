"""The reminder sweep at handler level, on both databases, with `now` passed in: who is
reminded of what, once each, even with two sweeps at once."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from freezegun import freeze_time

from api_client.contract import tasks
from harness.bodies import class_body, seat_body
from harness.databases import fresh_database
from tests.support.handlers import act, command, create, get
from tests.support.reminders import (
    reminder_deliveries,
    reminders_recorded,
    without_the_unique_row,
)
from worker.channels import DeliveryFailure
from worker.channels.log import LogChannel
from worker.config import Settings
from worker.delivery import RetryPolicy, deliver_locally
from worker.domain.reminders import SETTLED_AFTER
from worker.handlers import CommandRunner, HandlerDeps
from worker.handlers.reminders import SWEEP_REMINDERS, ReminderSweep, next_page
from worker.locks import ClassLocks
from worker.storage import reminder_queries
from worker.storage.engine import engine_for
from worker.storage.migrate import upgrade_to_head
from worker.storage.outbox_queries import read_notifications
from worker.storage.unit_of_work import UnitOfWork

pytestmark = pytest.mark.integration

DAY_S, HOUR_S = 86_400, 3_600
# Each test keeps to a year of its own: a sweep at one of its moments sees no other's windows.
START = datetime(2034, 1, 10, 18, 0, tzinfo=UTC)


def sweep(deps: HandlerDeps, now: datetime, classes: int = 100) -> int:
    """The beat's job, in this process: a page of classes per transaction until the last."""
    staged = 0
    page: ReminderSweep | None = ReminderSweep(classes)
    while page is not None:
        result = CommandRunner(deps).run(SWEEP_REMINDERS, None, page, now)
        staged += result["reminders"]
        page = next_page(page, result)
    return staged


def new_class(deps: HandlerDeps, start: datetime, at: datetime, **settings: Any) -> str:
    with freeze_time(at):
        body = class_body(start, reminders=["1 hour", "1 day"], **settings)
        return str(create(deps, body)["data"]["id"])


def book(deps: HandlerDeps, class_id: str, at: datetime, name: str) -> str:
    with freeze_time(at):
        return str(create(deps, seat_body(class_id, 1, name))["data"]["id"])


def recorded(deps: HandlerDeps, *seat_ids: str) -> list[tuple[str, str, int]]:
    with deps.read_only() as uow:
        return reminders_recorded(uow.connection, seat_ids)


def test_a_class_shows_its_reminders_the_earliest_first(handler_deps: HandlerDeps) -> None:
    class_id = new_class(handler_deps, START, START - timedelta(days=5))

    settings = get(handler_deps, class_id, "attributes")["data"]["attributes"]["settings"]

    assert settings["reminders"] == ["1 day", "1 hour"]


def test_each_confirmed_seat_is_reminded_once_per_offset_and_only_while_seated_in_time(
    handler_deps: HandlerDeps,
) -> None:
    deps, booked_at = handler_deps, START - timedelta(days=3)
    class_id = new_class(deps, START, booked_at)
    other_class = new_class(deps, START + timedelta(hours=2), booked_at)
    stays, cancels, moves = (book(deps, class_id, booked_at, name) for name in "ABC")
    with freeze_time(START - timedelta(days=2)):
        act(deps, cancels, "cancel_by_customer")
        command(deps, tasks.MOVE_BOOKING, booking_id=moves, owner_booking_id=other_class)
    late = book(deps, class_id, START - timedelta(hours=12), "Late")

    # When the sweep runs inside the "1 day" windows, then twice inside the "1 hour" one
    sweep(deps, START - timedelta(hours=20))
    sweep(deps, START - timedelta(minutes=30))
    sweep(deps, START - timedelta(minutes=10))

    # Then the seat that stayed has both, the moved one its new class's "1 day" only (its
    # "1 hour" opens later), the late booker the "1 hour" only, the cancelled one none
    assert recorded(deps, stays, cancels, moves, late) == sorted(
        [
            (stays, class_id, DAY_S),
            (stays, class_id, HOUR_S),
            (moves, other_class, DAY_S),
            (late, class_id, HOUR_S),
        ]
    )
    # and each reminder has one delivery per channel, to the customer
    with deps.read_only() as uow:
        assert reminder_deliveries(uow.connection, [stays, late]) == sorted(
            [(stays, "log"), (stays, "log"), (late, "log")]
        )


def test_a_late_sweep_sends_only_the_latest_reminder_due_and_none_after_the_start(
    handler_deps: HandlerDeps,
) -> None:
    start = START + timedelta(days=40)
    class_id = new_class(handler_deps, start, start - timedelta(days=3))
    seat = book(handler_deps, class_id, start - timedelta(days=3), "Marty McFly")

    sweep(handler_deps, start - timedelta(minutes=20))  # no sweep ran in the "1 day" window
    sweep(handler_deps, start + timedelta(minutes=1))

    assert recorded(handler_deps, seat) == [(seat, class_id, HOUR_S)]


def test_a_window_swept_once_it_is_settled_is_not_read_again(handler_deps: HandlerDeps) -> None:
    start = START + timedelta(days=60)
    class_id = new_class(handler_deps, start, start - timedelta(days=3))
    seat = book(handler_deps, class_id, start - timedelta(days=3), "Marty McFly")
    opened = start - timedelta(hours=1)

    def still_read(now: datetime) -> bool:
        with handler_deps.read_only() as uow:
            windows = reminder_queries.open_windows(
                uow.connection, now=now, classes=1_000, after=None
            )
        return uuid.UUID(class_id) in windows

    # A sweep just after the window opened stages the reminder, and reads the window again later
    sweep(handler_deps, opened + timedelta(minutes=1))
    assert recorded(handler_deps, seat) == [(seat, class_id, HOUR_S)]
    assert still_read(opened + timedelta(minutes=2))
    # one after it settled marks it: later sweeps skip it
    sweep(handler_deps, opened + SETTLED_AFTER)
    assert not still_read(opened + SETTLED_AFTER + timedelta(minutes=1))
    assert recorded(handler_deps, seat) == [(seat, class_id, HOUR_S)]


def test_a_reminder_is_sent_with_its_booking_and_its_class_as_they_are_then(
    handler_deps: HandlerDeps,
) -> None:
    start = START + timedelta(days=80)
    class_id = new_class(handler_deps, start, start - timedelta(days=3))
    seat = book(handler_deps, class_id, start - timedelta(days=3), "Marty McFly")
    sweep(handler_deps, start - timedelta(minutes=30))
    with handler_deps.read_only() as uow:
        [delivery] = [
            row["id"]
            for row in read_notifications(uow.connection, uuid.UUID(seat))
            if row["type"] == "booking.reminder"
        ]
    sent: list[dict[str, Any]] = []

    class Capturing(LogChannel):
        def send(self, deliveries: Any) -> dict[Any, DeliveryFailure]:
            sent.extend(dict(delivery) for delivery in deliveries)
            return {}

    report = deliver_locally(
        [delivery],
        unit_of_work=handler_deps.unit_of_work,
        channels={"log": Capturing()},
        policy=RetryPolicy(attempts=3, base_s=1, cap_s=1, lease_s=10),
        now=lambda: start - timedelta(minutes=29),
    )

    assert report.delivered == 1
    [document] = sent
    assert document["recipient_role"] == "customer"
    assert document["recipient_email"] == "marty.mcfly@mcfly.example"
    payload = document["payload"]
    assert payload["id"] == seat and payload["state"] == "confirmed"
    assert payload["reminder"] == {"before": "1 hour"}
    assert payload["attributes"]["event_info"]["start"] == start.isoformat()
    # and the payload is kept: a retry would send the same
    with handler_deps.read_only() as uow:
        [stored] = [
            row
            for row in read_notifications(uow.connection, uuid.UUID(seat))
            if row["id"] == delivery
        ]
    assert stored["payload"] == payload and stored["state"] == "delivered"


def test_two_sweeps_at_once_record_and_stage_each_reminder_once(
    handler_deps: HandlerDeps,
) -> None:
    # Given 40 seat bookings in eight classes whose "1 hour" reminders are due
    start = START + timedelta(days=120)
    classes = [new_class(handler_deps, start, start - timedelta(days=3)) for _ in range(8)]
    seats = [
        book(handler_deps, class_id, start - timedelta(days=3), f"Customer {n}")
        for class_id in classes
        for n in range(5)
    ]
    errors: list[BaseException] = []
    staged: list[int] = []

    def run() -> None:
        # `now` is passed in, so no clock is frozen here: freezegun is not safe across threads.
        try:
            staged.append(sweep(handler_deps, start - timedelta(minutes=30), classes=3))
        except BaseException as error:
            errors.append(error)

    # When two sweeps run at once, each three classes per transaction
    sweepers = [threading.Thread(target=run) for _ in range(2)]
    for sweeper in sweepers:
        sweeper.start()
    for sweeper in sweepers:
        sweeper.join()
    # and a third after them, which finds nothing left
    staged.append(sweep(handler_deps, start - timedelta(minutes=29)))

    # Then each seat booking's reminder was recorded once, and staged for its channel once
    assert errors == []
    assert sum(staged) == len(seats)
    assert len(recorded(handler_deps, *seats)) == len(seats)
    with handler_deps.read_only() as uow:
        assert reminder_deliveries(uow.connection, seats) == sorted((s, "log") for s in seats)


@pytest.fixture
def unguarded_deps(
    backend: str, workdir: Path, handler_redis: redis.Redis
) -> Iterator[HandlerDeps]:
    """The handlers on a database of their own whose reminders_sent has lost its primary key."""
    with fresh_database(backend, workdir) as database_url:
        engine = engine_for(Settings(database_url=database_url))
        upgrade_to_head(engine)
        with engine.begin() as conn:
            without_the_unique_row(conn)
        yield HandlerDeps(
            unit_of_work=lambda: UnitOfWork(engine),
            read_only=lambda: UnitOfWork(engine, read_only=True),
            locks=ClassLocks(handler_redis, ttl_s=10, wait_s=2),
        )
        engine.dispose()


def stage_twice(deps: HandlerDeps, start: datetime) -> tuple[list[int], list[str]]:
    """Ten seat bookings in two classes whose "1 hour" reminders are due, then the same sweep
    run twice, one after the other, each in its own transaction (a redelivered sweep, or a
    second beat a moment later): what each run staged, and the seats."""
    classes = [new_class(deps, start, start - timedelta(days=3)) for _ in range(2)]
    seats = [
        book(deps, class_id, start - timedelta(days=3), f"Customer {n}")
        for class_id in classes
        for n in range(5)
    ]
    # Two minutes into the window: not settled yet (SETTLED_AFTER), so the second run reads
    # it again, as a second beat or a redelivery inside a window's first minutes does.
    due = start - timedelta(minutes=58)
    assert due < start - timedelta(hours=1) + SETTLED_AFTER
    return [sweep(deps, due), sweep(deps, due)], seats


def test_a_sweep_run_again_finds_each_reminder_recorded_and_stages_nothing(
    handler_deps: HandlerDeps,
) -> None:
    staged, seats = stage_twice(handler_deps, START + timedelta(days=140))

    assert staged == [len(seats), 0]
    assert len(recorded(handler_deps, *seats)) == len(seats)
    with handler_deps.read_only() as uow:
        assert reminder_deliveries(uow.connection, seats) == sorted((s, "log") for s in seats)


def test_control_without_the_unique_row_a_sweep_run_again_reminds_everyone_twice(
    unguarded_deps: HandlerDeps,
) -> None:
    # The guard off: nothing conflicts, so the second run records and stages every reminder
    # again. The test above passes because of the primary key, not by luck of timing.
    staged, seats = stage_twice(unguarded_deps, START + timedelta(days=140))

    assert staged == [len(seats), len(seats)]
    assert len(recorded(unguarded_deps, *seats)) == 2 * len(seats)
    with unguarded_deps.read_only() as uow:
        assert reminder_deliveries(uow.connection, seats) == sorted(2 * [(s, "log") for s in seats])
