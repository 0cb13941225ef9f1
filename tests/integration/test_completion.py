"""Past classes complete by themselves (and by hand), once each, without telling anyone."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import create_engine, func, select

from api_client import ConflictError
from harness.bodies import class_body, seat_body
from harness.databases import fresh_database
from harness.redis_databases import redis_url
from harness.waiting import eventually
from harness.workers import running_workers
from tests.support.handlers import act, create, get
from tests.support.invariants import seat_accounts
from worker.completion import complete_past_classes
from worker.handlers import CommandRunner, HandlerDeps
from worker.handlers.line import SWEEP_LINES
from worker.storage.tables import booking_logs, outbox

pytestmark = pytest.mark.integration

NOW = datetime(2031, 3, 1, 12, 0, tzinfo=UTC)


def past_class(
    deps: HandlerDeps, ended_ago: timedelta, seats: list[int], **settings: object
) -> str:
    """A class that ended `ended_ago` before NOW, booked when it was still ahead."""
    start = NOW - ended_ago - timedelta(hours=1)
    with freeze_time(start - timedelta(days=2)):
        class_id = create(deps, class_body(start, **settings))["data"]["id"]
        for n in seats:
            create(deps, seat_body(class_id, n, name=f"Customer {uuid.uuid4().hex[:6]}"))
    return str(class_id)


def complete_logs(database_url: str, booking_id: str) -> int:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        count = conn.execute(
            select(func.count()).where(
                booking_logs.c.booking_id == uuid.UUID(booking_id),
                booking_logs.c.action == "complete",
            )
        ).scalar_one()
    engine.dispose()
    return int(count)


def sweep(deps: HandlerDeps, *, batch: int = 500) -> tuple[int, int]:
    # `now` is passed in, so no clock is frozen here: freezegun is not safe across threads.
    report = complete_past_classes(deps.unit_of_work, now=NOW, grace_s=3600, batch=batch)
    return report.classes, report.seat_bookings


def test_the_sweep_completes_classes_an_hour_past_their_end_with_their_confirmed_seats(
    handler_deps: HandlerDeps, handler_database: str
) -> None:
    over = past_class(handler_deps, timedelta(hours=2), [2, 1, 3])
    just_over = past_class(handler_deps, timedelta(minutes=30), [1])
    kept_open = past_class(handler_deps, timedelta(hours=5), [1], auto_complete=False)
    with freeze_time(NOW - timedelta(hours=4)):
        seats = get(handler_deps, over, "related_bookings")["data"]["related_bookings"]
        [single] = [seat["id"] for seat in seats if seat["seats"] == 1]
        act(handler_deps, single, "cancel_by_owner", "Sorry")

    sweep(handler_deps)

    completed = get(handler_deps, over, "related_bookings", "logs")["data"]
    assert completed["state"] == "completed" and completed["completed"] is True
    assert completed["logs"][-1]["action"] == "complete"
    assert {(b["seats"], b["state"]) for b in completed["related_bookings"]} == {
        (2, "completed"),
        (1, "cancelled_by_owner"),
        (3, "completed"),
    }
    assert get(handler_deps, just_over)["data"]["state"] == "tentative"
    assert get(handler_deps, kept_open)["data"]["state"] == "tentative"
    # Completed seats still count as taken: the account holds
    [account] = seat_accounts(handler_database, [over])
    assert account.holds and account.current_seats == 5


def test_completion_tells_nobody(handler_deps: HandlerDeps, handler_database: str) -> None:
    class_id = past_class(handler_deps, timedelta(hours=2), [1])
    seat_id = get(handler_deps, class_id, "related_bookings")["data"]["related_bookings"][0]["id"]
    engine = create_engine(handler_database)

    def notifications() -> int:
        with engine.connect() as conn:
            query = select(func.count()).where(outbox.c.booking_id == uuid.UUID(seat_id))
            return int(conn.execute(query).scalar_one())

    before = notifications()
    sweep(handler_deps)
    after = notifications()
    engine.dispose()

    assert get(handler_deps, seat_id)["data"]["state"] == "completed"
    assert after == before


def test_two_sweeps_running_at_once_complete_each_booking_once(
    handler_deps: HandlerDeps, handler_database: str
) -> None:
    classes = [past_class(handler_deps, timedelta(hours=3), [1, 1]) for _ in range(40)]
    errors: list[BaseException] = []

    def run() -> None:
        try:
            sweep(handler_deps, batch=7)
        except BaseException as error:
            errors.append(error)

    sweepers = [threading.Thread(target=run) for _ in range(2)]
    for sweeper in sweepers:
        sweeper.start()
    for sweeper in sweepers:
        sweeper.join()

    assert errors == []
    for class_id in classes:
        seats = get(handler_deps, class_id, "related_bookings")["data"]["related_bookings"]
        assert complete_logs(handler_database, class_id) == 1
        assert [complete_logs(handler_database, seat["id"]) for seat in seats] == [1, 1]


def test_the_owner_completes_a_class_by_hand_only_after_it_has_ended(
    handler_deps: HandlerDeps,
) -> None:
    start = NOW + timedelta(days=1)
    with freeze_time(NOW):
        class_id = create(handler_deps, class_body(start))["data"]["id"]
        seat_id = create(handler_deps, seat_body(class_id, 2))["data"]["id"]
        too_early = act(handler_deps, class_id, "complete")
    with freeze_time(start + timedelta(hours=1)):
        done = act(handler_deps, class_id, "complete")

    assert too_early["status"] == 409
    assert "cannot be completed before" in too_early["error"]
    assert done["data"]["state"] == "completed"
    assert get(handler_deps, seat_id)["data"]["state"] == "completed"


def test_a_live_worker_and_beat_complete_a_class_once_it_is_over(
    backend: str, workdir: Path
) -> None:
    settings = {"BOOKINGS_COMPLETE_GRACE_S": "0", "BOOKINGS_COMPLETE_EVERY_S": "0.5"}
    with (
        fresh_database(backend, workdir) as database_url,
        running_workers(
            redis_url("completion"), database_url, workdir, settings=settings, beat=True
        ) as deployment,
        deployment.client() as client,
    ):
        start = datetime.now(UTC) + timedelta(seconds=2)
        class_id = client.create_booking(class_body(start, length=timedelta(seconds=1)))["data"][
            "id"
        ]
        seat_id = client.create_booking(seat_body(class_id, 2))["data"]["id"]
        with pytest.raises(ConflictError):
            client.complete(class_id)  # not over yet

        eventually(
            lambda: client.get_booking(class_id)["data"]["state"] == "completed", timeout_s=30
        )
        seat = client.get_booking(seat_id, include=["logs"])["data"]
    assert seat["state"] == "completed"
    assert seat["logs"][-1]["action"] == "complete"


def test_a_past_class_with_a_line_waits_for_the_waitlist_sweep_then_completes(
    handler_deps: HandlerDeps, handler_database: str
) -> None:
    # Given a class that ended two hours ago, full, with one customer still waiting
    class_id = past_class(handler_deps, timedelta(hours=2), [1], max_seats=1, waitlist_size=3)
    start = NOW - timedelta(hours=3)
    with freeze_time(start - timedelta(days=1)):
        waiting = create(handler_deps, seat_body(class_id, 1, "Waiting", waitlist=True))["data"]
    assert waiting["state"] == "waitlisted"

    # The completion sweep leaves it to the waitlist sweep
    sweep(handler_deps)
    assert get(handler_deps, class_id)["data"]["state"] == "tentative"

    # which closes the line, telling the customer who waited
    CommandRunner(handler_deps).run(SWEEP_LINES, None, 100, NOW)
    closed = get(handler_deps, waiting["id"], "notifications")["data"]
    assert closed["state"] == "waitlist_expired"
    assert {row["type"] for row in closed["notifications"]} >= {"booking.waitlist_expired"}

    # and then the class completes with its seat booking; the expired entry stays as it is
    assert sweep(handler_deps)[0] >= 1
    completed = get(handler_deps, class_id, "related_bookings", "attributes")["data"]
    assert completed["state"] == "completed"
    assert completed["attributes"]["group_booking"]["waitlist_seats"] == 0
    assert get(handler_deps, waiting["id"])["data"]["state"] == "waitlist_expired"
    assert complete_logs(handler_database, waiting["id"]) == 0
