"""`python -m benchmarks.run`: real workers on a fresh database, seat bookings vs the no-op."""

from __future__ import annotations

import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import redis

from harness.databases import fresh_database
from harness.gateways import running_gateway
from harness.processes import free_port
from harness.redis_databases import redis_url
from harness.workers import Deployment, running_workers

from .batches import batch_sizes
from .client_paths import (
    SUBMIT_ONLY,
    collection_workload,
    measure_collection,
    measure_submit_only,
)
from .gateway import measure_gateway
from .load import Measurement, Workload, create_classes, measure
from .plans import P99_TARGET_RATIO, DeploymentPlan, deployment_plans
from .report import progress, render_json
from .run_options import RunOptions, parse_run_options, run_shape
from .run_report import GATEWAY_ROW, Row, render_run_table, run_figures
from .scrapes import Samples, scrape_all


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_run_options(argv)
    started = time.monotonic()
    url = redis_url("benchmark-run")
    # Measured before any worker serves the database, so that nothing consumes what is sent.
    client_rows = submit_only_rows(url, options) if options.client_rows else []
    rows: list[Row] = []
    for plan in deployment_plans(options):
        rows += run_deployment(url, options, plan, client_rows if plan.first else [], started)
    report = run_figures(rows, settings_of(options), time.monotonic() - started)
    print(render_json(report) if options.json else render_run_table(report))
    return 0


def run_deployment(
    url: str, options: RunOptions, plan: DeploymentPlan, client_rows: list[Row], started: float
) -> list[Row]:
    """Fresh workers on a fresh database; `running_workers` empties the Redis database first."""
    settings = {
        "BOOKINGS_NOTIFICATION_CHANNELS": plan.channels,
        "BOOKINGS_LOG_DELIVERY": plan.log_delivery,
        "BOOKINGS_BOOKING_BATCH_WRITES": plan.batch_writes,
        **({} if plan.batching else {"BOOKINGS_BOOKING_BATCH_MAX": "1"}),
    }
    with tempfile.TemporaryDirectory(prefix="gb-bench-") as workdir:
        ports = [free_port() for _ in range(options.workers)] if options.metrics else []
        metrics_dir = str(Path(workdir) / "metrics")
        with (
            fresh_database(options.database, Path(workdir)) as database_url,
            running_workers(
                url,
                database_url,
                Path(workdir),
                workers=options.workers,
                concurrency=plan.pool.concurrency,
                pool=plan.pool.pool,
                settings=settings,
                instance_settings=[
                    {"BOOKINGS_METRICS_PORT": str(port), "BOOKINGS_METRICS_DIR": metrics_dir}
                    for port in ports
                ],
            ) as deployment,
        ):
            elapsed_s = time.monotonic() - started
            progress(f"workers answering after {elapsed_s:.1f} s ({plan.group})")
            rows = run_workloads(deployment, options, plan, ports, Path(workdir))
            keep_logs_of_errors(rows, deployment)
            if plan.first and options.client_rows:
                rows += [Row(row.workload, row.measurement, plan.group) for row in client_rows]
                rows.append(collection_row(deployment, options, plan))
        redis.Redis.from_url(url).flushdb()  # the results of tens of thousands of tasks
    return rows


def keep_logs_of_errors(rows: list[Row], deployment: Deployment) -> None:
    """A request unanswered or failed: the workers' logs are copied out of the temporary
    directory (which goes with the deployment), so that the cause can be read afterwards."""
    failed = [row.workload.label for row in rows if row.measurement.errors]
    if not failed:
        return
    kept = Path(tempfile.mkdtemp(prefix="gb-bench-logs-"))
    for path in deployment.log_paths:
        shutil.copy(path, kept / Path(path).name)
    progress(f"errors in {', '.join(failed)}: the workers' logs are kept in {kept}")


def run_workloads(
    deployment: Deployment,
    options: RunOptions,
    plan: DeploymentPlan,
    ports: Sequence[int],
    workdir: Path,
) -> list[Row]:
    """The ceiling first, then the same load as seat bookings spread out and on one class."""
    with deployment.client() as client:
        spread_classes = create_classes(client, options.classes)
        (hot_class,) = create_classes(client, 1)
    spread = Workload(
        f"seat bookings, {options.classes} classes{plan.suffix}",
        "bookings",
        spread_classes,
        0.8,
        P99_TARGET_RATIO,
    )
    hot = Workload(
        f"seat bookings, 1 hot class{plan.suffix}", "bookings", (hot_class,), 0.6, P99_TARGET_RATIO
    )
    # The ceiling first, on these very workers: what this deployment's bookings are held to.
    ceiling = Workload(f"no-op ceiling (bookings.ping){plan.suffix}", "tasks")
    workloads = [ceiling, spread, hot]
    url, shape = deployment.redis_url, run_shape(options)
    rows = [
        timed_row(workload, plan, ports, partial(measure, url, workload, shape))
        for workload in workloads
    ]
    if plan.first and options.gateway:
        rows.append(gateway_row(url, spread_classes, options, plan, ports, workdir))
    return rows


def collection_row(deployment: Deployment, options: RunOptions, plan: DeploymentPlan) -> Row:
    """Seat bookings answered before their collection is timed; no batch sizes (the workers'
    share of the row is not what it measures)."""
    with deployment.client() as client:
        classes = create_classes(client, options.classes)
    count = client_row_count(options)
    collect = partial(measure_collection, deployment.redis_url, classes, count)
    return timed_row(collection_workload(), plan, (), collect)


def timed_row(
    workload: Workload,
    plan: DeploymentPlan,
    ports: Sequence[int],
    measured: Callable[[], Measurement],
) -> Row:
    """One phase, with the batch sizes the workers recorded while it ran."""
    progress(f"measuring {workload.label} ...")
    before = _scrape(ports)
    phase_started = time.monotonic()
    measurement = measured()
    phase_s = time.monotonic() - phase_started
    batches = batch_sizes(before, _scrape(ports)) if ports else None
    progress(f"  {measurement.per_second:.1f} {workload.unit}/s (phase took {phase_s:.1f} s)")
    return Row(workload, measurement, plan.group, batches)


def _scrape(ports: Sequence[int]) -> Samples:
    return scrape_all(ports) if ports else {}


def gateway_row(
    url: str,
    classes: tuple[str, ...],
    options: RunOptions,
    plan: DeploymentPlan,
    ports: Sequence[int],
    workdir: Path,
) -> Row:
    """The spread-out load again, through a gateway started for it (benchmarks.gateway's path)."""
    label = f"{GATEWAY_ROW} POST /v2/bookings, {options.classes} classes{plan.suffix}"
    workload = Workload(label, "bookings", classes)
    with running_gateway(url, secrets.token_urlsafe(24), workdir) as server:
        shape = run_shape(options)
        return timed_row(workload, plan, ports, partial(measure_gateway, server, classes, shape))


def submit_only_rows(url: str, options: RunOptions) -> list[Row]:
    count = client_row_count(options)
    redis.Redis.from_url(url).flushdb()  # nothing left from a run stopped half-way
    rows = []
    for workload in SUBMIT_ONLY:
        progress(f"measuring {workload.label} ...")
        rows.append(Row(workload, measure_submit_only(url, workload, count)))
    return rows


def client_row_count(options: RunOptions) -> int:
    """A client row's calls: half a workload's requests, all in one process (a few seconds)."""
    return max(1, options.sizes.requests // 2)


def settings_of(options: RunOptions) -> dict[str, Any]:
    shape = run_shape(options)
    return {
        "database": options.database,
        "workers": options.workers,
        "pools": ",".join(pool.label for pool in options.pool_settings),
        "client_processes": shape.clients,
        "in_flight_per_process": shape.in_flight,
        "requests_per_workload": shape.requests_per_client * shape.clients,
        "warmup_per_workload": shape.warmup_per_client * shape.clients,
        "classes": options.classes,
        "notifications": options.notifications,
        "log_delivery": options.log_delivery,
        "batching": options.batching,
        "batch_writes": options.batch_writes,
        "metrics": "on" if options.metrics else "off",
        "mode": "quick" if options.quick else "full",
    }


if __name__ == "__main__":
    sys.exit(main())
