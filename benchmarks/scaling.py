"""`python -m benchmarks.scaling`: bookings on 1, 2 and 4 worker instances, and what each costs.

Every instance count gets fresh workers on a fresh database, sharing one Redis and one
PostgreSQL, and the same load: seat bookings spread over many classes, then on one hot class.
Around each phase the counters of Redis, PostgreSQL and the processes' CPU time are read, so
that the per-booking costs predict where Redis or PostgreSQL would become the limit on machines
of their own (docs/scaling.md).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import redis

from harness.databases import fresh_database
from harness.processes import free_port
from harness.redis_databases import redis_url
from harness.workers import Deployment, running_workers

from .costs import per_booking, settle, snapshot
from .load import Measurement, Workload, create_classes, measure
from .report import progress, render_json
from .scaling_options import ScalingOptions, parse_scaling_options, scaling_shape
from .scaling_report import (
    LOCK_HOLD_HISTOGRAM,
    NO_OP_LABEL,
    Phase,
    render_scaling_table,
    scaling_figures,
)
from .scrapes import histogram_mean, scrape_all


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_scaling_options(argv)
    started = time.monotonic()
    url = redis_url("benchmark-scaling")
    phases: list[Phase] = []
    for instances in options.instances:
        phases += run_instances(url, options, instances, started)
    report = scaling_figures(phases, settings_of(options), time.monotonic() - started)
    print(render_json(report) if options.json else render_scaling_table(report))
    return 0


def run_instances(url: str, options: ScalingOptions, instances: int, started: float) -> list[Phase]:
    """`instances` workers of `--concurrency` each, on a fresh database, serving metrics."""
    ports = [free_port() for _ in range(instances)]
    settings = {"BOOKINGS_NOTIFICATION_CHANNELS": _channels(options)}
    with tempfile.TemporaryDirectory(prefix="gb-scaling-") as workdir:
        metrics_dir = str(Path(workdir) / "metrics")
        with (
            fresh_database("postgresql", Path(workdir)) as database_url,
            running_workers(
                url,
                database_url,
                Path(workdir),
                workers=instances,
                concurrency=options.concurrency,
                settings=settings,
                instance_settings=[
                    {"BOOKINGS_METRICS_PORT": str(port), "BOOKINGS_METRICS_DIR": metrics_dir}
                    for port in ports
                ],
            ) as deployment,
        ):
            progress(f"{instances} instance(s) answering after {time.monotonic() - started:.1f} s")
            phases = [
                measure_phase(deployment, options, instances, workload, ports)
                for workload in workloads(deployment, options)
            ]
        redis.Redis.from_url(url).flushdb()
    return phases


def workloads(deployment: Deployment, options: ScalingOptions) -> list[Workload]:
    with deployment.client() as client:
        spread = create_classes(client, options.classes)
        (hot,) = create_classes(client, 1)
    # The no-op first: what a task costs the workers and Redis before it books anything.
    return [
        Workload(NO_OP_LABEL, "tasks"),
        Workload(f"spread, {options.classes} classes", "bookings", spread),
        Workload("hot, 1 class", "bookings", (hot,)),
    ]


def measure_phase(
    deployment: Deployment,
    options: ScalingOptions,
    instances: int,
    workload: Workload,
    ports: Sequence[int],
) -> Phase:
    """One workload, with every counter read before it and after it (warm-up included)."""
    shape = scaling_shape(options)
    progress(f"measuring {workload.label} on {instances} instance(s) ...")
    pids = deployment.all_pids()
    before = snapshot(deployment.redis_url, deployment.database_url, pids)
    scraped = scrape_all(ports)
    measurement = measure(deployment.redis_url, workload, shape)
    settle()
    after = snapshot(deployment.redis_url, deployment.database_url, pids)
    held = histogram_mean(scraped, scrape_all(ports), LOCK_HOLD_HISTOGRAM)
    bookings = shape.clients * (shape.warmup_per_client + shape.requests_per_client)
    progress(f"  {measurement.per_second:.1f} {workload.unit}/s")
    return Phase(
        instances=instances,
        pool_processes=instances * options.concurrency,
        workload=workload.label,
        unit=workload.unit,
        measurement=measurement,
        costs=per_booking(before, after, bookings, client_cpu_ms(measurement)),
        lock_held_s=0.0 if held is None else held[0] * held[1],
    )


def client_cpu_ms(measurement: Measurement) -> float:
    return measurement.client_cpu_s * 1e3 / max(measurement.completed, 1)


def _channels(options: ScalingOptions) -> str:
    return "" if options.notifications == "none" else options.notifications


def settings_of(options: ScalingOptions) -> dict[str, Any]:
    shape = scaling_shape(options)
    return {
        "database": "postgresql",
        "instances": ",".join(str(count) for count in options.instances),
        "concurrency_per_instance": options.concurrency,
        "client_processes": shape.clients,
        "in_flight_per_process": shape.in_flight,
        "requests_per_workload": shape.requests_per_client * shape.clients,
        "warmup_per_workload": shape.warmup_per_client * shape.clients,
        "classes": options.classes,
        "notifications": options.notifications,
        "mode": "quick" if options.quick else "full",
    }


if __name__ == "__main__":
    sys.exit(main())
