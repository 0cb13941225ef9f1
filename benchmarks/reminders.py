"""`python -m benchmarks.reminders`: staging due reminders against a plain INSERT ... SELECT.

Two PostgreSQL databases get the same rows: classes starting in half an hour with a reminder
an hour before (its window open), each full of confirmed one-seat bookings made days ago, each
with its log. On one, a plain INSERT INTO outbox ... SELECT writes one delivery per seat
booking: the baseline. On the other, the sweep stages the same reminders as beat runs it
(worker/handlers/reminders.py): pages of BOOKINGS_REMINDER_SWEEP_BATCH classes, each recording
its reminders in reminders_sent (the rule's checks, ON CONFLICT DO NOTHING), writing their
outbox rows and returning their ids (for delivery after the commit) in one transaction.
Both are timed three times, alternately, the databases emptied of what they staged between
rounds; each side's median is its figure. Figures are printed beside the baseline, never
asserted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import JSONB

from harness.databases import fresh_database
from worker.config import Settings
from worker.domain.graphs import GROUP_CUSTOMER, GROUP_OWNER
from worker.domain.notifications import CUSTOMER
from worker.domain.reminders import REMINDER, reminder_windows
from worker.handlers.reminders import ReminderSweep, next_page, sweep_reminders
from worker.outbox import CommandTx
from worker.storage.engine import dispose_all, engine_for
from worker.storage.migrate import upgrade_to_head
from worker.storage.tables import booking_logs, bookings, class_reminders, outbox
from worker.storage.unit_of_work import UnitOfWork

from .load import Comparison, Timing
from .report import lifecycle_figures, progress, render_json, render_lifecycle_table

TARGET_RATIO = 2.0
HOUR_S = 3_600
# The worker's default, so that the figure is the sweep as deployed.
BATCH = int(Settings.model_fields["reminder_sweep_batch"].default)
# One channel: each reminder is one outbox row on both sides, the sweep's least flattering case
# (more channels add the same rows to both).
CHANNELS = ("log",)
CLASSES_PER_LOAD = 50
# Both sides timed this many times, alternately, on a shared machine whose load comes and goes:
# each side's median is its figure.
ROUNDS = 3


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reminders", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10,000 seat bookings, not 100,000")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    options = parser.parse_args(argv)
    classes, seats_per_class = (100, 100) if options.quick else (1_000, 100)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gb-reminders-") as workdir:
        progress(f"loading {classes * seats_per_class:,} seat bookings twice, then timing ...")
        comparison = measure(Path(workdir), classes, seats_per_class)
    progress(f"  the sweep took {comparison.ratio:.2f}x its baseline")
    settings = {
        "database": "postgresql",
        "classes": classes,
        "seats_per_class": seats_per_class,
        "classes_per_transaction": BATCH,
        "channels": ",".join(CHANNELS),
        "mode": "quick" if options.quick else "full",
    }
    report = lifecycle_figures([comparison], settings, time.monotonic() - started)
    print(render_json(report) if options.json else render_lifecycle_table(report))
    return 0


def measure(workdir: Path, classes: int, seats_per_class: int) -> Comparison:
    now = datetime.now(UTC)
    with (
        fresh_database("postgresql", workdir) as baseline_url,
        fresh_database("postgresql", workdir) as sweep_url,
    ):
        engines = [_migrated(baseline_url), _migrated(sweep_url)]
        try:
            load(engines, classes, seats_per_class, now)
            baselines, sweeps = [], []
            for number in range(ROUNDS):
                for engine in engines:
                    if number:
                        _unstage(engine)
                    _settle(engine)
                baselines.append(time_plain_insert(engines[0], now))
                sweeps.append(time_sweep(engines[1], now))
        finally:
            dispose_all()  # before the databases are dropped
    expected = classes * seats_per_class
    for timing in baselines + sweeps:
        if timing.count != expected:
            raise RuntimeError(f"{timing.label} staged {timing.count} of {expected}")
    baseline, sweep = _median(baselines), _median(sweeps)
    notes = [
        f"reminders: {ROUNDS} rounds of the baseline, then the sweep, each on its own database "
        "holding the same rows, bulk-inserted and VACUUM ANALYZEd (between rounds both "
        "databases are emptied of what they staged); each figure is its side's median, "
        "ratio = sweep s / baseline s",
        "reminders: rounds (baseline s / sweep s): "
        + ", ".join(
            f"{b.elapsed_s:.3f}/{s.elapsed_s:.3f}" for b, s in zip(baselines, sweeps, strict=True)
        ),
        f"reminders: the sweep also wrote {sweep.count:,} reminders_sent rows (its record of "
        "each reminder), checked each seat's log and returned the outbox rows' ids for delivery; "
        "the baseline wrote outbox rows only",
    ]
    return Comparison(baseline, sweep, by="seconds", target_ratio=TARGET_RATIO, notes=notes)


def _migrated(url: str) -> Engine:
    engine = engine_for(Settings(database_url=url))
    upgrade_to_head(engine)
    return engine


def load(engines: Sequence[Engine], classes: int, seats_per_class: int, now: datetime) -> None:
    """The same classes, windows, seat bookings and logs into every database."""
    start = now + timedelta(minutes=30)
    booked_at = now - timedelta(days=3)
    for first in range(0, classes, CLASSES_PER_LOAD):
        numbers = range(first, min(first + CLASSES_PER_LOAD, classes))
        class_rows = [_class_row(n, seats_per_class, start, booked_at) for n in numbers]
        windows = [
            {"class_id": row["id"], "offset_s": w.offset_s, "opens_at": w.opens_at}
            | {"closes_at": w.closes_at}
            for row in class_rows
            for w in reminder_windows(start, [HOUR_S])
        ]
        seats = [
            _seat_row(row["id"], n * seats_per_class + s, booked_at)
            for n, row in zip(numbers, class_rows, strict=True)
            for s in range(seats_per_class)
        ]
        logs = [
            {
                "booking_id": seat["id"],
                "action": "create",
                "from_state": None,
                "to_state": seat["state"],
                "created_at": booked_at,
            }
            for seat in seats
        ]
        for engine in engines:
            with engine.begin() as conn:
                conn.execute(insert(bookings), class_rows)
                conn.execute(insert(class_reminders), windows)
                conn.execute(insert(bookings), seats)
                conn.execute(insert(booking_logs), logs)


def _class_row(number: int, seats: int, start: datetime, created_at: datetime) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "graph": GROUP_OWNER,
        "state": "tentative",
        "created_at": created_at,
        "updated_at": created_at,
        "starts_at": start,
        "ends_at": start + timedelta(hours=1),
        "what": f"Benchmark class {number}",
        "where": "Sesame St, Middleburg, FL 32068, USA",
        "calendar_id": "benchmark-calendar",
        "max_seats": seats,
        "current_seats": seats,
        "auto_complete": True,
        "reminder_offsets_s": [HOUR_S],
    }


def _seat_row(class_id: uuid.UUID, number: int, booked_at: datetime) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "graph": GROUP_CUSTOMER,
        "state": "confirmed",
        "created_at": booked_at,
        "updated_at": booked_at,
        "owner_booking_id": class_id,
        "seats": 1,
        "customer_name": f"Customer {number}",
        "customer_email": f"customer.{number}@mcfly.example",
    }


def _unstage(engine: Engine) -> None:
    """The database as loaded again: nothing staged, no window settled."""
    with engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE outbox, reminders_sent")
        conn.execute(update(class_reminders).values(settled=False))


def _median(timings: Sequence[Timing]) -> Timing:
    return sorted(timings, key=lambda timing: timing.elapsed_s)[len(timings) // 2]


def _settle(engine: Engine) -> None:
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        for table in ("bookings", "booking_logs", "class_reminders", "outbox", "reminders_sent"):
            conn.exec_driver_sql(f"VACUUM ANALYZE {table}")


def time_plain_insert(engine: Engine, now: datetime) -> Timing:
    """One INSERT INTO outbox ... SELECT: a delivery for each confirmed seat of an open window."""
    rows = (
        select(
            func.gen_random_uuid(),
            func.gen_random_uuid(),
            literal(CHANNELS[0]),
            bookings.c.id,
            literal(REMINDER),
            literal(CUSTOMER),
            bookings.c.customer_name,
            bookings.c.customer_email,
            literal({}, JSONB()).cast(outbox.c.payload.type),
            literal("pending"),
            literal(0),
            literal(now),
            literal(now),
        )
        .select_from(
            class_reminders.join(
                bookings, bookings.c.owner_booking_id == class_reminders.c.class_id
            )
        )
        .where(
            class_reminders.c.opens_at <= now,
            class_reminders.c.closes_at > now,
            bookings.c.state == "confirmed",
        )
    )
    columns = (
        "id", "notification_id", "channel", "booking_id", "type", "recipient_role",
        "recipient_name", "recipient_email", "payload", "state", "attempts",
        "next_attempt_at", "created_at",
    )  # fmt: skip
    started = time.perf_counter()
    with engine.begin() as conn:
        staged = conn.execute(
            insert(outbox).from_select(columns, rows).execution_options(preserve_rowcount=True)
        ).rowcount
    elapsed_s = time.perf_counter() - started
    return Timing("reminders baseline: one plain INSERT ... SELECT", staged, "reminders", elapsed_s)


def time_sweep(engine: Engine, now: datetime) -> Timing:
    """The sweep as beat runs it (worker/tasks/schedule.py): a page of classes per transaction
    until one comes back short."""
    staged = 0
    page: ReminderSweep | None = ReminderSweep(BATCH)
    started = time.perf_counter()
    while page is not None:
        with UnitOfWork(engine) as uow:
            result = sweep_reminders(CommandTx(uow.connection, channels=CHANNELS), page, now)
            uow.commit()
        staged += result["reminders"]
        page = next_page(page, result)
    elapsed_s = time.perf_counter() - started
    return Timing("reminders sweep: sweep_reminders", staged, "reminders", elapsed_s)


if __name__ == "__main__":
    sys.exit(main())
