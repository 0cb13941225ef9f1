"""Command-line options shared by the benchmark commands, and those of gateway, lifecycle,
series and waitlist, with the load shape each one drives (run's and scaling's have modules of
their own: run_options.py, scaling_options.py)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass

from api_client.contract.recurrence import MAX_OCCURRENCES

from .load import LoadShape

# Shared by the commands ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    """Requests per workload, counted over all client processes."""

    requests: int
    warmup: int


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
    add("--quick", action="store_true", help="a short smoke run with small counts")
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


# python -m benchmarks.gateway ---------------------------------------------------------------------

GATEWAY_DESCRIPTION = (
    "Seat bookings per second through a real uvicorn gateway (POST /v2/bookings) against "
    "api_client direct, on the same workers, with the same load, in one run."
)
GATEWAY_FULL = Sizes(requests=4_000, warmup=400)
GATEWAY_QUICK = Sizes(requests=400, warmup=80)


@dataclass(frozen=True)
class GatewayOptions:
    concurrency: int
    clients: int
    in_flight: int
    classes: int
    sizes: Sizes
    quick: bool
    json: bool
    rounds: int


def parse_gateway_options(argv: Sequence[str] | None = None) -> GatewayOptions:
    args = _gateway_parser().parse_args(argv)
    sizes = sizes_from(args, GATEWAY_FULL, GATEWAY_QUICK)
    return GatewayOptions(
        args.concurrency,
        args.clients,
        args.in_flight,
        args.classes,
        sizes,
        args.quick,
        args.json,
        1 if args.quick else args.rounds,
    )


def _gateway_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.gateway", description=GATEWAY_DESCRIPTION
    )
    # The same shape and defaults as benchmarks.run.
    add_load_options(parser)
    add_mode_options(parser)
    parser.add_argument(
        "--rounds", type=int, default=4, help="alternate the two paths this many times"
    )
    return parser


def gateway_shape(options: GatewayOptions) -> LoadShape:
    """One round of one path: the requests split over the rounds."""
    per_round = options.clients * options.rounds
    return LoadShape(
        clients=options.clients,
        in_flight=options.in_flight,
        warmup_per_client=options.sizes.warmup // per_round,
        requests_per_client=max(1, options.sizes.requests // per_round),
    )


# python -m benchmarks.lifecycle -------------------------------------------------------------------

LIFECYCLE_DESCRIPTION = (
    "The scheduled completion sweep against a plain UPDATE, and a cancelled class's webhook "
    "fan-out against no-op tasks, each beside its baseline from the same run."
)


@dataclass(frozen=True)
class LifecycleSizes:
    classes: int
    seats_per_class: int
    deliveries: int


# Full sizes: 100,000 past seat bookings and a 1,000-seat class. Quick: about 20 s in all.
LIFECYCLE_FULL = LifecycleSizes(classes=1_000, seats_per_class=100, deliveries=1_000)
LIFECYCLE_QUICK = LifecycleSizes(classes=100, seats_per_class=100, deliveries=200)


@dataclass(frozen=True)
class LifecycleOptions:
    sizes: LifecycleSizes
    concurrency: int
    quick: bool
    json: bool


def parse_lifecycle_options(argv: Sequence[str] | None = None) -> LifecycleOptions:
    args = _lifecycle_parser().parse_args(argv)
    defaults = LIFECYCLE_QUICK if args.quick else LIFECYCLE_FULL
    sizes = LifecycleSizes(
        classes=args.classes or defaults.classes,
        seats_per_class=args.seats_per_class or defaults.seats_per_class,
        deliveries=args.deliveries or defaults.deliveries,
    )
    return LifecycleOptions(sizes, args.concurrency, args.quick, args.json)


def _lifecycle_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.lifecycle", description=LIFECYCLE_DESCRIPTION
    )
    add = parser.add_argument
    add("--classes", type=positive, help="past classes the sweep completes (default 1000)")
    add("--seats-per-class", type=positive, help="one-seat bookings per past class (default 100)")
    add("--deliveries", type=positive, help="seats of the cancelled class (default 1000)")
    # Two pool processes: one per core of the machine the figures are taken on.
    add("--concurrency", type=positive, default=2, help="pool processes of the one worker")
    add_mode_options(parser)
    return parser


# python -m benchmarks.series ----------------------------------------------------------------------

SERIES_DESCRIPTION = (
    "Ten years of a weekly class created by one create_recurring command, against the same "
    "classes created by single create_booking commands, sequential and pipelined, in one run."
)
# Full: ten years of a weekly class. Quick: two years, a run of a few seconds.
SERIES_FULL_OCCURRENCES = 520
SERIES_QUICK_OCCURRENCES = 104


@dataclass(frozen=True)
class SeriesOptions:
    database: str
    concurrency: int
    occurrences: int
    quick: bool
    json: bool


def parse_series_options(argv: Sequence[str] | None = None) -> SeriesOptions:
    parser = _series_parser()
    args = parser.parse_args(argv)
    if args.occurrences is not None and args.occurrences > MAX_OCCURRENCES:
        parser.error(f"--occurrences: a series holds at most {MAX_OCCURRENCES} classes")
    default = SERIES_QUICK_OCCURRENCES if args.quick else SERIES_FULL_OCCURRENCES
    occurrences = args.occurrences or default
    return SeriesOptions(args.database, args.concurrency, occurrences, args.quick, args.json)


def _series_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.series", description=SERIES_DESCRIPTION
    )
    add = parser.add_argument
    add("--database", choices=("postgresql", "sqlite"), default="postgresql")
    # Two pool processes: one per core of the machine the figures are taken on.
    add("--concurrency", type=positive, default=2, help="pool processes of the one worker")
    add("--occurrences", type=positive, help="weekly classes (default 520; 104 with --quick)")
    add_mode_options(parser)
    return parser


# python -m benchmarks.waitlist --------------------------------------------------------------------

WAITLIST_DESCRIPTION = (
    "Cancels on full classes with a long waitlist (each cancel promotes the next in line) "
    "against plain cancels on full classes without one, on the same workers, in one run."
)


@dataclass(frozen=True)
class WaitlistSizes:
    classes: int
    seats_per_class: int
    waiting_per_class: int


# Full: 2,000 cancels each way over two rounds, every class's line 500 long. Quick: about 20 s.
# At least as many classes as cancels in flight, so that those are for different classes and
# the figures are not the class lock's waits.
WAITLIST_FULL = WaitlistSizes(classes=10, seats_per_class=100, waiting_per_class=500)
WAITLIST_QUICK = WaitlistSizes(classes=8, seats_per_class=30, waiting_per_class=150)


@dataclass(frozen=True)
class WaitlistOptions:
    database: str
    concurrency: int
    in_flight: int
    sizes: WaitlistSizes
    rounds: int
    notifications: str
    quick: bool
    json: bool


def parse_waitlist_options(argv: Sequence[str] | None = None) -> WaitlistOptions:
    parser = _waitlist_parser()
    args = parser.parse_args(argv)
    defaults = WAITLIST_QUICK if args.quick else WAITLIST_FULL
    sizes = WaitlistSizes(
        classes=args.classes or defaults.classes,
        seats_per_class=args.seats_per_class or defaults.seats_per_class,
        waiting_per_class=args.waiting_per_class or defaults.waiting_per_class,
    )
    if sizes.waiting_per_class < sizes.seats_per_class:
        parser.error("--waiting-per-class: at least --seats-per-class, so every cancel promotes")
    rounds = 1 if args.quick else args.rounds
    return WaitlistOptions(
        args.database,
        args.concurrency,
        args.in_flight,
        sizes,
        rounds,
        args.notifications,
        args.quick,
        args.json,
    )


def _waitlist_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.waitlist", description=WAITLIST_DESCRIPTION
    )
    add = parser.add_argument
    add("--database", choices=("postgresql", "sqlite"), default="postgresql")
    # Two pool processes: one per core of the machine the figures are taken on.
    add("--concurrency", type=positive, default=2, help="pool processes of the one worker")
    add("--in-flight", type=positive, default=8, help="cancels in flight (default 8)")
    add("--classes", type=positive, help="full classes each way, per round (default 10)")
    add("--seats-per-class", type=positive, help="one-seat holders, each cancelled (default 100)")
    add("--waiting-per-class", type=positive, help="one-seat entries in line (default 500)")
    add("--rounds", type=positive, default=2, help="alternate the two kinds this many times")
    add(
        "--notifications",
        default="log",
        help="the workers' BOOKINGS_NOTIFICATION_CHANNELS: log (the default), none, ...",
    )
    add_mode_options(parser)
    return parser
