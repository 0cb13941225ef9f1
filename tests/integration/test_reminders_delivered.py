"""Reminders through real workers: a sweep killed before its commit, redelivered, and two
beats sweeping at once still deliver each reminder once, counted by id at the receivers."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from freezegun import freeze_time
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api_client.contract import tasks
from harness.bodies import class_body, seat_body
from harness.databases import fresh_database
from harness.processes import REPO_ROOT, stop_processes
from harness.receivers import smtp_server, webhook_receiver
from harness.redis_databases import redis_url
from harness.waiting import eventually
from harness.workers import beat_command, running_workers, worker_env
from tests.support.handlers import command, create
from tests.support.reminders import REMINDER, recorded_in, undelivered_in
from worker.config import Settings
from worker.handlers import CommandRunner, HandlerDeps
from worker.handlers.reminders import SWEEP_REMINDERS, ReminderSweep
from worker.locks import ClassLocks
from worker.storage.engine import dispose_all, engine_for
from worker.storage.migrate import upgrade_to_head
from worker.storage.unit_of_work import UnitOfWork

pytestmark = pytest.mark.integration

SWEEP_REMINDERS_TASK = "bookings.sweep_reminders"  # the beat's task (worker/tasks/schedule.py)
CHANNELS = ("log", "webhook", "email")
DAY_S, HOUR_S = 86_400, 3_600


@dataclass(frozen=True)
class Studio:
    """A class starting in half an hour, with reminders a day and an hour before, booked days
    ago: its "1 day" reminders were staged back then; its "1 hour" ones are due now."""

    class_id: str
    reminded: tuple[str, str]  # seats held all along: Marty (in Oslo) and Jennifer
    not_reminded: tuple[str, str, str]  # cancelled, moved away, booked ten minutes ago


def prepare(database_url: str, now: datetime) -> Studio:
    """The studio's past, written in-process at the times it happened."""
    engine = engine_for(Settings(database_url=database_url))
    upgrade_to_head(engine)
    deps = HandlerDeps(
        unit_of_work=lambda: UnitOfWork(engine),
        read_only=lambda: UnitOfWork(engine, read_only=True),
        locks=ClassLocks(redis.Redis.from_url(redis_url("reminders")), ttl_s=10, wait_s=2),
        channels=CHANNELS,
    )
    start, days_ago = now + timedelta(minutes=30), now - timedelta(days=3)
    with freeze_time(days_ago):
        reminders = {"reminders": ["1 day", "1 hour"]}
        class_id = create(deps, class_body(start, **reminders))["data"]["id"]
        later_class = create(deps, class_body(start + timedelta(days=5), **reminders))["data"]
        marty = seat_body(class_id, 1, "Marty McFly")
        marty["customer"]["timezone"] = "Europe/Oslo"
        seats = [create(deps, body)["data"]["id"] for body in (marty, *_seats(class_id, 3))]
    with freeze_time(now - timedelta(days=2)):
        command(deps, tasks.APPLY_ACTION, booking_id=seats[2], action="cancel_by_customer")
        command(deps, tasks.MOVE_BOOKING, booking_id=seats[3], owner_booking_id=later_class["id"])
    with freeze_time(now - timedelta(minutes=10)):
        late = create(deps, seat_body(class_id, 1, "Late Larry"))["data"]["id"]
    # The "1 day" sweep ran 20 hours ago; its deliveries are left for the outbox sweep.
    CommandRunner(deps).run(SWEEP_REMINDERS, None, ReminderSweep(100), now - timedelta(hours=20))
    dispose_all()
    return Studio(class_id, (seats[0], seats[1]), (seats[2], seats[3], late))


def _seats(class_id: str, count: int) -> list[dict[str, Any]]:
    return [seat_body(class_id, 1, name) for name in ("Jennifer Parker", "Biff", "George")[:count]]


def a_write_transaction_is_open(database_url: str) -> bool:
    """Whether some connection holds a transaction that wrote: the paused sweep's."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        probe = sqlite3.connect(str(url.database), timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True  # the write lock is held
        finally:
            probe.close()
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return bool(
                conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND state = 'idle in transaction' AND backend_xid IS NOT NULL"
                    )
                ).scalar_one()
            )
    finally:
        engine.dispose()


@contextmanager
def second_beat(
    url: str, database_url: str, workdir: Path, settings: dict[str, str]
) -> Iterator[subprocess.Popen[bytes]]:
    """Another `celery beat`, as a second machine would run by mistake."""
    env = worker_env(url, database_url, settings)
    schedule = workdir / f"beat-2-{os.getpid()}-{time.monotonic_ns()}"
    with (workdir / f"beat-2-{time.monotonic_ns()}.log").open("wb") as log:
        beat = subprocess.Popen(
            beat_command(schedule), cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        yield beat
    finally:
        stop_processes([beat], 15)


def reminder_documents(documents: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    """How many webhook documents each (seat booking, reminder) got."""
    return Counter(
        (document["booking"]["id"], document["booking"]["reminder"]["before"])
        for document in documents
        if document["type"] == REMINDER
    )


def reminder_mails(messages: list[EmailMessage]) -> list[EmailMessage]:
    return [message for message in messages if str(message["Subject"]).startswith("Reminder:")]


def test_a_sweep_killed_before_its_commit_then_two_beats_deliver_each_reminder_once(
    backend: str, workdir: Path
) -> None:
    if backend == "sqlite":
        # SQLite serialises writers, so two sweeps never meet there; the sweep's rule, its
        # record and two sweeps at once run on both databases in test_reminder_rules.py. This
        # test's workers cost 10 to 20 s a database, and the suite's budget is tight.
        pytest.skip("through real workers on PostgreSQL only")
    url = redis_url("reminders")
    quick = {
        "BOOKINGS_REMINDER_SWEEP_EVERY_S": "0.5",
        "BOOKINGS_OUTBOX_SWEEP_EVERY_S": "1",
        # The killed worker's message comes back to the next worker after 2 s (countdowns
        # at most half of that: worker/config.py refuses longer ones).
        "BOOKINGS_VISIBILITY_TIMEOUT_S": "2",
        "BOOKINGS_UNACKED_RESTORE_INTERVAL_S": "1",
        "BOOKINGS_RETRY_CAP_S": "1",
        "BOOKINGS_DELIVERY_RETRY_CAP_S": "1",
    }
    with (
        webhook_receiver() as webhook,
        smtp_server() as mailbox,
        fresh_database(backend, workdir) as database_url,
    ):
        settings = {
            "BOOKINGS_WEBHOOK_URL": webhook.url,
            "BOOKINGS_WEBHOOK_SECRET": webhook.secret,
            "BOOKINGS_SMTP_URL": mailbox.url,
            **quick,
        }
        studio = prepare(database_url, datetime.now(UTC))
        everyone = [*studio.reminded, *studio.not_reminded]
        app = Celery(broker=url, backend=url, set_as_current=False)

        # Given a worker whose sweep has written its reminders and waits at its commit
        paused = {**settings, "BOOKINGS_DRILL_PAUSE_BEFORE_COMMIT_S": "60"}
        with running_workers(url, database_url, workdir, concurrency=1, settings=paused) as first:
            killed_sweep = app.send_task(SWEEP_REMINDERS_TASK, queue=tasks.QUEUE)
            eventually(lambda: a_write_transaction_is_open(database_url), timeout_s=30)
            # When the whole worker is killed there, main process and pool process alike
            for pid in [*first.worker_pids(), *(process.pid for process in first.processes)]:
                os.kill(pid, signal.SIGKILL)
        # Then nothing of that sweep was kept
        assert len(recorded_in(database_url, everyone)) == 2  # the "1 day" ones, from before

        # When a worker of two processes and two beats take over (and the killed sweep is
        # handed out again)
        with (
            running_workers(
                url, database_url, workdir, settings=settings, beat=True, flush_redis=False
            ),
            second_beat(url, database_url, workdir, settings),
        ):
            redelivered = killed_sweep.get(timeout=60)
            eventually(lambda: sum(reminder_documents(webhook.documents()).values()) >= 4)
            eventually(lambda: len(reminder_mails(mailbox.messages)) >= 4)
            # every delivery staged is sent: nothing more can reach the receivers
            eventually(lambda: undelivered_in(database_url, everyone) == 0)
            recorded = recorded_in(database_url, everyone)
        app.close()

    # Then each reminder was recorded once and reached each receiver once
    marty, jennifer = studio.reminded
    assert isinstance(redelivered, dict) and "reminders" in redelivered
    assert recorded == sorted(
        (seat, studio.class_id, offset_s)
        for seat in (marty, jennifer)
        for offset_s in (DAY_S, HOUR_S)
    )
    assert reminder_documents(webhook.documents()) == {
        (seat, before): 1 for seat in (marty, jennifer) for before in ("1 day", "1 hour")
    }
    ids = [d["id"] for d in webhook.documents() if d["type"] == REMINDER]
    assert len(ids) == len(set(ids)) == 4
    # and by e-mail, Marty's in his own time zone, each with the class's invitation
    mails = reminder_mails(mailbox.messages)
    assert sorted(str(m["To"]).split("<")[-1].rstrip(">") for m in mails) == sorted(
        ["marty.mcfly@mcfly.example"] * 2 + ["jennifer.parker@mcfly.example"] * 2
    )
    to_marty = [m for m in mails if "marty" in str(m["To"])]
    for message in to_marty:
        body = message.get_body(preferencelist=("plain",))
        assert isinstance(body, EmailMessage)
        assert "(Europe/Oslo, UTC+0" in str(body.get_content())
        assert [a.get_content_type() for a in message.iter_attachments()] == ["text/calendar"]
