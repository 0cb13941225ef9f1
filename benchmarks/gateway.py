"""`python -m benchmarks.gateway`: seat bookings through the HTTP gateway vs api_client direct."""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from tests.support.databases import fresh_database
from tests.support.workers import running_workers

from .gateway_report import figures, render_table
from .gateway_server import running_gateway
from .http_load import measure_gateway
from .load import LoadShape, measure
from .options import Sizes, add_load_options, add_mode_options, sizes_from
from .report import progress, render_json
from .workloads import Workload, create_classes

DESCRIPTION = (
    "Seat bookings per second through a real uvicorn gateway (POST /v2/bookings) against "
    "api_client direct, on the same workers, with the same load, in one run."
)
# Database 1 is this command's own: running_workers empties it before the workers start, and
# no test (4 to 15), the demo (0), run (7), series (2) nor lifecycle (3) uses it.
REDIS_URL = "redis://127.0.0.1:6379/1"
FULL = Sizes(requests=4_000, warmup=400)
QUICK = Sizes(requests=400, warmup=80)


@dataclass(frozen=True)
class Options:
    concurrency: int
    clients: int
    in_flight: int
    classes: int
    sizes: Sizes
    quick: bool
    json: bool


def parse_options(argv: Sequence[str] | None = None) -> Options:
    args = _parser().parse_args(argv)
    sizes = sizes_from(args, FULL, QUICK)
    return Options(
        args.concurrency, args.clients, args.in_flight, args.classes, sizes, args.quick, args.json
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gateway", description=DESCRIPTION)
    # The same shape and defaults as benchmarks.run.
    add_load_options(parser)
    add_mode_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(argv)
    started = time.monotonic()
    api_key = secrets.token_urlsafe(24)
    shape = shape_of(options)
    with tempfile.TemporaryDirectory(prefix="gb-gateway-") as workdir:
        try:
            with (
                fresh_database("postgresql", Path(workdir)) as database_url,
                running_workers(
                    REDIS_URL,
                    database_url,
                    Path(workdir),
                    workers=1,
                    concurrency=options.concurrency,
                    settings={"BOOKINGS_NOTIFICATION_CHANNELS": ""},
                ) as deployment,
                running_gateway(REDIS_URL, api_key, Path(workdir)) as server,
            ):
                progress(f"workers and gateway answering after {time.monotonic() - started:.1f} s")
                with deployment.client() as client:
                    classes = create_classes(client, options.classes)
                workload = Workload("seat bookings", "bookings", classes)
                progress("measuring api_client direct ...")
                direct = measure(REDIS_URL, workload, shape)
                progress(f"  {direct.per_second:.1f} bookings/s")
                progress("measuring the gateway ...")
                gateway = measure_gateway(server, classes, shape)
                progress(f"  {gateway.per_second:.1f} bookings/s")
        finally:
            redis.Redis.from_url(REDIS_URL).flushdb()  # the results of thousands of tasks
    report = figures(direct, gateway, settings_of(options), time.monotonic() - started)
    print(render_json(report) if options.json else render_table(report))
    return 0


def shape_of(options: Options) -> LoadShape:
    return LoadShape(
        clients=options.clients,
        in_flight=options.in_flight,
        warmup_per_client=options.sizes.warmup // options.clients,
        requests_per_client=max(1, options.sizes.requests // options.clients),
    )


def settings_of(options: Options) -> dict[str, Any]:
    shape = shape_of(options)
    return {
        "database": "postgresql",
        "workers": 1,
        "concurrency": options.concurrency,
        "gateway": "uvicorn --workers 1",
        "client_processes": shape.clients,
        "in_flight_per_process": shape.in_flight,
        "requests_per_path": shape.requests_per_client * shape.clients,
        "warmup_per_path": shape.warmup_per_client * shape.clients,
        "classes": options.classes,
        "notifications": "none",
        "mode": "quick" if options.quick else "full",
    }


if __name__ == "__main__":
    sys.exit(main())
