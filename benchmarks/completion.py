"""Completion sweep figure: complete_past_classes against one plain UPDATE of the same rows."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, and_, func, insert, or_, select, true, update

from harness.databases import fresh_database
from worker.completion import complete_past_classes
from worker.config import Settings
from worker.domain.graphs import GROUP_CUSTOMER, GROUP_OWNER
from worker.domain.transitions import completion_cutoff
from worker.storage.engine import dispose_all, engine_for
from worker.storage.migrate import upgrade_to_head
from worker.storage.tables import booking_logs, bookings
from worker.storage.unit_of_work import UnitOfWork

from .load import Comparison, Timing

# The worker's defaults (BOOKINGS_COMPLETE_GRACE_S, BOOKINGS_COMPLETE_BATCH).
GRACE_S = 3600
BATCH = 500
# Classes (with their seat bookings) per insert transaction while loading: about 5,000 rows,
# few enough to keep the fixture's memory small, many enough that loading stays quick.
CLASSES_PER_LOAD = 50
TARGET_RATIO = 2.0


@dataclass(frozen=True)
class PastClasses:
    """The fixture: confirmed one-seat bookings in auto-completing classes long over."""

    classes: int
    seats_per_class: int

    @property
    def rows(self) -> int:
        return self.classes * (1 + self.seats_per_class)


def measure_completion(workdir: Path, fixture: PastClasses) -> Comparison:
    """Load the fixture into two databases; time the plain UPDATE on one, then the sweep."""
    now = datetime.now(UTC)
    with (
        fresh_database("postgresql", workdir) as baseline_url,
        fresh_database("postgresql", workdir) as sweep_url,
    ):
        baseline_engine, sweep_engine = _migrated(baseline_url), _migrated(sweep_url)
        try:
            load_past_classes([baseline_engine, sweep_engine], fixture, now)
            for engine in (baseline_engine, sweep_engine):
                _settle(engine)
            baseline = time_plain_update(baseline_engine, now)
            sweep = time_sweep(sweep_engine, now)
            log_rows = _count_logs(sweep_engine)
        finally:
            dispose_all()  # before the databases are dropped
    for timing in (baseline, sweep):
        if timing.count != fixture.rows:
            raise RuntimeError(f"{timing.label} moved {timing.count} of {fixture.rows} rows")
    notes = [
        f"completion: baseline first, then the sweep (batch={BATCH}), each on its own database "
        "holding the same rows, bulk-inserted and VACUUM ANALYZEd; ratio = sweep s / baseline s",
        f"completion: the sweep wrote {log_rows:,} booking_logs rows, the baseline none",
    ]
    return Comparison(baseline, sweep, by="seconds", target_ratio=TARGET_RATIO, notes=notes)


def _migrated(url: str) -> Engine:
    engine = engine_for(Settings(database_url=url))
    upgrade_to_head(engine)
    return engine


def load_past_classes(engines: Sequence[Engine], fixture: PastClasses, now: datetime) -> None:
    """The same rows into every engine's database, a slice of classes per transaction."""
    for first in range(0, fixture.classes, CLASSES_PER_LOAD):
        numbers = range(first, min(first + CLASSES_PER_LOAD, fixture.classes))
        classes = [_class_row(number, fixture.seats_per_class, now) for number in numbers]
        seats = [
            _seat_row(klass["id"], number * fixture.seats_per_class + seat, klass["created_at"])
            for number, klass in zip(numbers, classes, strict=True)
            for seat in range(fixture.seats_per_class)
        ]
        for engine in engines:
            with engine.begin() as conn:
                conn.execute(insert(bookings), classes)
                conn.execute(insert(bookings), seats)


def _class_row(number: int, seats: int, now: datetime) -> dict[str, Any]:
    # Ends from two hours to a few days ago: every class is well past the hour's grace.
    ends_at = now - timedelta(hours=2, minutes=number)
    starts_at = ends_at - timedelta(hours=1)
    created_at = starts_at - timedelta(days=7)
    return {
        "id": uuid.uuid4(),
        "graph": GROUP_OWNER,
        "state": "tentative",
        "created_at": created_at,
        "updated_at": created_at,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "what": f"Benchmark class {number}",
        "where": "Sesame St, Middleburg, FL 32068, USA",
        "calendar_id": "benchmark-calendar",
        "description": "Please arrive 10 minutes before classes begin",
        "max_seats": seats,
        "current_seats": seats,
        "auto_complete": True,
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


def _settle(engine: Engine) -> None:
    # Fresh statistics and visibility maps on both copies, so that autovacuum does not wake
    # up during one of the timed phases and neither starts with a better plan than the other.
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql("VACUUM ANALYZE bookings")
        conn.exec_driver_sql("VACUUM ANALYZE booking_logs")


def time_plain_update(engine: Engine, now: datetime) -> Timing:
    """One UPDATE of every open class past the cutoff and its confirmed seats; no logs, no locks."""
    cutoff = completion_cutoff(now, GRACE_S)
    past_class = and_(
        bookings.c.graph == GROUP_OWNER,
        bookings.c.state == "tentative",
        bookings.c.auto_complete == true(),
        bookings.c.ends_at < cutoff,
    )
    in_past_class = bookings.c.owner_booking_id.in_(select(bookings.c.id).where(past_class))
    statement = (
        update(bookings)
        .where(bookings.c.state.in_(("tentative", "confirmed")), or_(past_class, in_past_class))
        .values(state="completed", updated_at=now)
    )
    started = time.perf_counter()
    with engine.begin() as conn:
        moved = conn.execute(statement).rowcount
    elapsed_s = time.perf_counter() - started
    return Timing("completion baseline: one plain UPDATE", moved, "rows", elapsed_s)


def time_sweep(engine: Engine, now: datetime) -> Timing:
    """complete_past_classes in this process, as the scheduled job calls it."""
    started = time.perf_counter()
    report = complete_past_classes(
        lambda: UnitOfWork(engine), now=now, grace_s=GRACE_S, batch=BATCH
    )
    elapsed_s = time.perf_counter() - started
    moved = report.classes + report.seat_bookings
    return Timing("completion sweep: complete_past_classes", moved, "rows", elapsed_s)


def _count_logs(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(booking_logs)).scalar_one())
