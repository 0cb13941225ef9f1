"""Command-line options of the benchmark: database, worker and client shape, sizes, output."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass

DESCRIPTION = "Seat-booking throughput and latency against the no-op ceiling, on real workers."


@dataclass(frozen=True)
class Sizes:
    """Requests per workload, counted over all client processes."""

    requests: int
    warmup: int


# Full sizes aim at 1-3 minutes for the whole run on a 2-core machine; quick at about 20 s.
FULL = Sizes(requests=8_000, warmup=800)
QUICK = Sizes(requests=800, warmup=160)


@dataclass(frozen=True)
class Options:
    database: str
    workers: int
    concurrency: int
    clients: int
    in_flight: int
    classes: int
    sizes: Sizes
    quick: bool
    json: bool
    notifications: str


def parse_options(argv: Sequence[str] | None = None) -> Options:
    args = _parser().parse_args(argv)
    sizes = sizes_from(args, FULL, QUICK)
    return Options(
        database=args.database,
        workers=args.workers,
        concurrency=args.concurrency,
        clients=args.clients,
        in_flight=args.in_flight,
        classes=args.classes,
        sizes=sizes,
        quick=args.quick,
        json=args.json,
        notifications=args.notifications,
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=DESCRIPTION)
    add = parser.add_argument
    add("--database", choices=("postgresql", "sqlite"), default="postgresql")
    add("--workers", type=positive, default=1, help="worker instances (default 1)")
    add_load_options(parser)
    # Each seat booking tells the owner and the customer; "none" measures the booking alone.
    add(
        "--notifications",
        default="log",
        help="the workers' BOOKINGS_NOTIFICATION_CHANNELS: log (the default), none, ...",
    )
    add_mode_options(parser)
    return parser


def add_load_options(parser: argparse.ArgumentParser) -> None:
    """The worker and client shape and the request counts, the same in every load benchmark."""
    add = parser.add_argument
    # Two pool processes: one per core of the machine the figures are taken on.
    add("--concurrency", type=positive, default=2, help="pool processes per worker")
    add("--clients", type=positive, default=2, help="client processes (default 2)")
    add("--in-flight", type=positive, default=8, help="requests in flight per client")
    add("--classes", type=positive, default=100, help="classes the seats are spread over")
    add("--requests", type=positive, help="measured requests per workload")
    add("--warmup", type=non_negative, help="uncounted warm-up requests per workload")


def sizes_from(args: argparse.Namespace, full: Sizes, quick: Sizes) -> Sizes:
    """The request counts asked for, else the full or quick defaults."""
    defaults = quick if args.quick else full
    return Sizes(
        requests=args.requests if args.requests is not None else defaults.requests,
        warmup=args.warmup if args.warmup is not None else defaults.warmup,
    )


def add_mode_options(parser: argparse.ArgumentParser) -> None:
    """--quick and --json, the same in every benchmark command."""
    add = parser.add_argument
    add("--quick", action="store_true", help="a ~20 s smoke run with small counts")
    add("--json", action="store_true", help="print the figures as JSON instead of a table")


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def non_negative(text: str) -> int:
    """An argparse type: a whole number of at least 0."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be at least 0")
    return value
