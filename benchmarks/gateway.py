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

from harness.databases import fresh_database
from harness.gateways import running_gateway
from harness.workers import running_workers

from .gateway_report import figures, render_table
from .http_load import measure_gateway
from .load import LoadShape, measure, merged
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
    rounds: int


def parse_options(argv: Sequence[str] | None = None) -> Options:
    args = _parser().parse_args(argv)
    sizes = sizes_from(args, FULL, QUICK)
    return Options(
        args.concurrency,
        args.clients,
        args.in_flight,
        args.classes,
        sizes,
        args.quick,
        args.json,
        1 if args.quick else args.rounds,
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gateway", description=DESCRIPTION)
    # The same shape and defaults as benchmarks.run.
    add_load_options(parser)
    add_mode_options(parser)
    parser.add_argument(
        "--rounds", type=int, default=4, help="alternate the two paths this many times"
    )
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
                directs, gateways = [], []
                # Rounds take turns, so that the machine's drift in speed (other tenants,
                # caches, the database growing) falls on both paths alike.
                for round_number in range(1, options.rounds + 1):
                    progress(f"round {round_number}/{options.rounds}: api_client direct ...")
                    directs.append(measure(REDIS_URL, workload, shape))
                    progress(f"  {directs[-1].per_second:.1f} bookings/s; the gateway ...")
                    gateways.append(measure_gateway(server, classes, shape))
                    progress(f"  {gateways[-1].per_second:.1f} bookings/s")
                direct, gateway = merged(directs), merged(gateways)
        finally:
            redis.Redis.from_url(REDIS_URL).flushdb()  # the results of thousands of tasks
    report = figures(direct, gateway, settings_of(options), time.monotonic() - started)
    print(render_json(report) if options.json else render_table(report))
    return 0


def shape_of(options: Options) -> LoadShape:
    """One round of one path: the requests split over the rounds."""
    per_round = options.clients * options.rounds
    return LoadShape(
        clients=options.clients,
        in_flight=options.in_flight,
        warmup_per_client=options.sizes.warmup // per_round,
        requests_per_client=max(1, options.sizes.requests // per_round),
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
        "requests_per_path": shape.requests_per_client * shape.clients * options.rounds,
        "warmup_per_path": shape.warmup_per_client * shape.clients * options.rounds,
        "rounds": options.rounds,
        "classes": options.classes,
        "notifications": "none",
        "mode": "quick" if options.quick else "full",
    }


if __name__ == "__main__":
    sys.exit(main())
