"""`python -m benchmarks.run`: real workers on a fresh database, seat bookings vs the no-op."""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import redis

from harness.databases import fresh_database
from harness.redis_databases import redis_url
from harness.workers import Deployment, running_workers

from .load import Workload, create_classes, measure
from .options import RunOptions, parse_run_options, run_shape
from .report import Row, progress, render_json, render_run_table, run_figures


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_run_options(argv)
    started = time.monotonic()
    rows: list[Row] = []
    # One deployment per log delivery compared, each on a fresh database; the ceiling is
    # measured on the first only (a no-op does not notify).
    for index, log_delivery in enumerate(log_deliveries(options)):
        rows += run_deployment(options, log_delivery, with_ceiling=index == 0, started=started)
    report = run_figures(rows, settings_of(options), time.monotonic() - started)
    print(render_json(report) if options.json else render_run_table(report))
    return 0


def run_deployment(
    options: RunOptions, log_delivery: str, *, with_ceiling: bool, started: float
) -> list[Row]:
    # The benchmark's own database: running_workers empties it before the workers start.
    url = redis_url("benchmark-run")
    settings = {
        "BOOKINGS_NOTIFICATION_CHANNELS": channels_setting(options),
        "BOOKINGS_LOG_DELIVERY": log_delivery,
    }
    with tempfile.TemporaryDirectory(prefix="gb-bench-") as workdir:
        with (
            fresh_database(options.database, Path(workdir)) as database_url,
            running_workers(
                url,
                database_url,
                Path(workdir),
                workers=options.workers,
                concurrency=options.concurrency,
                settings=settings,
            ) as deployment,
        ):
            progress(f"workers answering after {time.monotonic() - started:.1f} s ({log_delivery})")
            suffix = f" [log {log_delivery}]" if options.log_delivery == "both" else ""
            rows = run_workloads(deployment, options, with_ceiling=with_ceiling, suffix=suffix)
        redis.Redis.from_url(url).flushdb()  # the results of tens of thousands of tasks
    return rows


def run_workloads(
    deployment: Deployment, options: RunOptions, *, with_ceiling: bool = True, suffix: str = ""
) -> list[Row]:
    """The ceiling first, then the same load as seat bookings spread out and on one class."""
    with deployment.client() as client:
        spread_classes = create_classes(client, options.classes)
        (hot_class,) = create_classes(client, 1)
    workloads = [
        Workload(
            f"seat bookings, {options.classes} classes{suffix}", "bookings", spread_classes, 0.8
        ),
        Workload(f"seat bookings, 1 hot class{suffix}", "bookings", (hot_class,), 0.6),
    ]
    if with_ceiling:
        workloads.insert(0, Workload("no-op ceiling (bookings.ping)", "tasks"))
    rows = []
    for workload in workloads:
        progress(f"measuring {workload.label} ...")
        phase_started = time.monotonic()
        measurement = measure(deployment.redis_url, workload, run_shape(options))
        phase_s = time.monotonic() - phase_started
        progress(f"  {measurement.per_second:.1f} {workload.unit}/s (phase took {phase_s:.1f} s)")
        rows.append(Row(workload, measurement))
    return rows


def log_deliveries(options: RunOptions) -> tuple[str, ...]:
    """BOOKINGS_LOG_DELIVERY of each deployment: the one asked for, or the old path first."""
    if options.log_delivery == "both":
        return ("per-command", "batched")
    return (options.log_delivery,)


def channels_setting(options: RunOptions) -> str:
    return "" if options.notifications == "none" else options.notifications


def settings_of(options: RunOptions) -> dict[str, Any]:
    shape = run_shape(options)
    return {
        "database": options.database,
        "workers": options.workers,
        "concurrency": options.concurrency,
        "client_processes": shape.clients,
        "in_flight_per_process": shape.in_flight,
        "requests_per_workload": shape.requests_per_client * shape.clients,
        "warmup_per_workload": shape.warmup_per_client * shape.clients,
        "classes": options.classes,
        "notifications": options.notifications,
        "log_delivery": options.log_delivery,
        "mode": "quick" if options.quick else "full",
    }


if __name__ == "__main__":
    sys.exit(main())
