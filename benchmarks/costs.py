"""What a booking costs Redis, PostgreSQL and every process's CPU, from counters around a phase.

Nothing here needs an extension or a setting on the shared servers: Redis's own INFO (its
commands by name and its CPU time), PostgreSQL's per-database and per-table statistics
(pg_stat_statements is not preloaded on a stock install), and /proc for the CPU time of the
workers and of the PostgreSQL backends serving the benchmark's database. A phase's cost is the
snapshot after it less the snapshot before it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import redis
from sqlalchemy import create_engine, text

# A backend reports its statistics when it goes idle, at most once a second (PostgreSQL 15,
# PGSTAT_MIN_INTERVAL): wait that long and a little more before reading them after a phase.
STATS_SETTLE_S = 1.5
CLOCK_TICKS_PER_S = os.sysconf("SC_CLK_TCK")
K = TypeVar("K")

DATABASE_COUNTS = text(
    "SELECT xact_commit + xact_rollback AS transactions,"
    " tup_inserted + tup_updated + tup_deleted AS rows_written,"
    " tup_fetched AS rows_fetched"
    " FROM pg_stat_database WHERE datname = current_database()"
)
# Index and sequential scans over the benchmark's tables: about one per statement that reads
# or finds rows (a SELECT, the row an UPDATE changes, a foreign key's check); inserts apart.
TABLE_COUNTS = text(
    "SELECT coalesce(sum(idx_scan), 0) + coalesce(sum(seq_scan), 0) AS scans,"
    " coalesce(sum(n_tup_ins), 0) AS rows_inserted"
    " FROM pg_stat_user_tables"
)
BACKENDS = text(
    "SELECT pid FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


@dataclass(frozen=True)
class Snapshot:
    """Counters at one moment; each only ever grows while the deployment runs."""

    redis_calls: dict[str, int]
    redis_cpu_s: float
    database: dict[str, float]
    backend_cpu_s: dict[int, float]
    worker_cpu_s: dict[int, float]


def snapshot(redis_url: str, database_url: str, worker_pids: Iterable[int]) -> Snapshot:
    """Redis's counters, the database's, and the CPU time of every process of the run."""
    server = redis.Redis.from_url(redis_url)
    commands = server.info("commandstats")
    cpu = server.info("cpu")
    database, backends = _database_counts(database_url)
    return Snapshot(
        redis_calls={
            name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in commands.items()
        },
        redis_cpu_s=float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"]),
        database=database,
        backend_cpu_s=cpu_seconds(backends),
        worker_cpu_s=cpu_seconds(worker_pids),
    )


def _database_counts(database_url: str) -> tuple[dict[str, float], list[int]]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            database = dict(connection.execute(DATABASE_COUNTS).mappings().one())
            tables = dict(connection.execute(TABLE_COUNTS).mappings().one())
            backends = [int(pid) for pid in connection.execute(BACKENDS).scalars()]
    finally:
        engine.dispose()
    return {key: float(value) for key, value in {**database, **tables}.items()}, backends


def cpu_seconds(pids: Iterable[int]) -> dict[int, float]:
    """User and system CPU time of each process still running, from /proc/<pid>/stat."""
    seconds = {}
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue  # gone: its time is lost to both snapshots
        # The command name (field 2) may hold spaces; the fields after its ")" do not.
        fields = stat.rsplit(")", 1)[1].split()
        seconds[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS_PER_S
    return seconds


def settle() -> None:
    """Give the backends time to report a phase's statistics before they are read."""
    time.sleep(STATS_SETTLE_S)


@dataclass(frozen=True)
class PerBooking:
    """What one booking cost on average over a phase (its warm-up included)."""

    bookings: int
    redis_commands: float
    redis_top: list[tuple[str, float]]
    transactions: float
    scans: float
    rows_inserted: float
    rows_written: float
    cpu_ms: dict[str, float]  # workers, redis, postgres (backends), clients (measured part)

    def figures(self) -> dict[str, object]:
        return {
            "bookings": self.bookings,
            "redis_commands": round(self.redis_commands, 2),
            "redis_top": [(name, round(calls, 2)) for name, calls in self.redis_top],
            "pg_transactions": round(self.transactions, 2),
            "pg_scans": round(self.scans, 2),
            "pg_rows_inserted": round(self.rows_inserted, 2),
            "pg_rows_written": round(self.rows_written, 2),
            "cpu_ms": {name: round(ms, 3) for name, ms in self.cpu_ms.items()},
        }


def per_booking(
    before: Snapshot, after: Snapshot, bookings: int, client_cpu_ms: float
) -> PerBooking:
    """The growth of every counter between two snapshots, over the bookings made in between;
    the clients' CPU per booking is measured by the clients themselves (their start-up and
    imports apart, which would swamp a short run)."""
    each = 1 / max(bookings, 1)
    calls = _growth(before.redis_calls, after.redis_calls)
    top = sorted(calls.items(), key=lambda item: -item[1])[:6]
    database = _growth(before.database, after.database)
    return PerBooking(
        bookings=bookings,
        redis_commands=sum(calls.values()) * each,
        redis_top=[(name, count * each) for name, count in top],
        transactions=database.get("transactions", 0.0) * each,
        scans=database.get("scans", 0.0) * each,
        rows_inserted=database.get("rows_inserted", 0.0) * each,
        rows_written=database.get("rows_written", 0.0) * each,
        cpu_ms={
            "workers": sum(_growth(before.worker_cpu_s, after.worker_cpu_s).values()) * each * 1e3,
            "redis": (after.redis_cpu_s - before.redis_cpu_s) * each * 1e3,
            "postgres": sum(_growth(before.backend_cpu_s, after.backend_cpu_s).values())
            * each
            * 1e3,
            "clients": client_cpu_ms,
        },
    )


def _growth(before: Mapping[K, float], after: Mapping[K, float]) -> dict[K, float]:
    """Each counter's growth; one that appeared in between (a new backend) grew from zero."""
    return {key: value - before.get(key, 0) for key, value in after.items()}
