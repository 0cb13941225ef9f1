"""Command-line options of `python -m benchmarks.scaling`: instance counts and the load."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass

from .load import LoadShape
from .options import Sizes, add_load_options, add_mode_options, positive, sizes_from

SCALING_DESCRIPTION = (
    "Seat bookings spread out and on one hot class on 1, 2 and 4 worker instances (same Redis, "
    "same PostgreSQL), with what each booking costs Redis, PostgreSQL and the CPUs."
)
SCALING_FULL = Sizes(requests=4_000, warmup=400)
SCALING_QUICK = Sizes(requests=600, warmup=120)


@dataclass(frozen=True)
class ScalingOptions:
    instances: tuple[int, ...]
    concurrency: int
    clients: int
    in_flight: int
    classes: int
    sizes: Sizes
    notifications: str
    quick: bool
    json: bool


def parse_scaling_options(argv: Sequence[str] | None = None) -> ScalingOptions:
    args = _scaling_parser().parse_args(argv)
    return ScalingOptions(
        instances=args.instances,
        concurrency=args.concurrency,
        clients=args.clients,
        in_flight=args.in_flight,
        classes=args.classes,
        sizes=sizes_from(args, SCALING_FULL, SCALING_QUICK),
        notifications=args.notifications,
        quick=args.quick,
        json=args.json,
    )


def instance_counts(text: str) -> tuple[int, ...]:
    """An argparse type: worker instance counts such as 1,2,4."""
    return tuple(positive(item.strip()) for item in text.split(","))


def _scaling_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.scaling", description=SCALING_DESCRIPTION
    )
    add = parser.add_argument
    add("--instances", type=instance_counts, default=(1, 2, 4), help="worker instances, e.g. 1,2,4")
    # The same shape as benchmarks.run; --concurrency is each instance's pool.
    add_load_options(parser)
    add(
        "--notifications",
        default="log",
        help="the workers' BOOKINGS_NOTIFICATION_CHANNELS: log (the default), none, ...",
    )
    add_mode_options(parser)
    return parser


def scaling_shape(options: ScalingOptions) -> LoadShape:
    return LoadShape(
        clients=options.clients,
        in_flight=options.in_flight,
        warmup_per_client=options.sizes.warmup // options.clients,
        requests_per_client=max(1, options.sizes.requests // options.clients),
    )
