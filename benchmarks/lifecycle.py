"""`python -m benchmarks.lifecycle`: the completion sweep and the cancel fan-out vs baselines."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from .comparisons import Comparison, figures, render_table
from .completion import PastClasses, measure_completion
from .fanout import FANOUT_CHUNK, measure_fanout
from .options import add_mode_options, positive
from .report import progress, render_json

DESCRIPTION = (
    "The scheduled completion sweep against a plain UPDATE, and a cancelled class's webhook "
    "fan-out against no-op tasks, each beside its baseline from the same run."
)
# Database 3 is this command's own: running_workers empties it before the workers start, and
# no test (4 to 15), the demo (0) nor benchmarks.run (7) uses it.
REDIS_URL = "redis://127.0.0.1:6379/3"


@dataclass(frozen=True)
class Sizes:
    classes: int
    seats_per_class: int
    deliveries: int


# Full sizes: 100,000 past seat bookings and a 1,000-seat class. Quick: about 20 s in all.
FULL = Sizes(classes=1_000, seats_per_class=100, deliveries=1_000)
QUICK = Sizes(classes=100, seats_per_class=100, deliveries=200)


@dataclass(frozen=True)
class Options:
    sizes: Sizes
    concurrency: int
    quick: bool
    json: bool


def parse_options(argv: Sequence[str] | None = None) -> Options:
    args = _parser().parse_args(argv)
    defaults = QUICK if args.quick else FULL
    sizes = Sizes(
        classes=args.classes or defaults.classes,
        seats_per_class=args.seats_per_class or defaults.seats_per_class,
        deliveries=args.deliveries or defaults.deliveries,
    )
    return Options(sizes, args.concurrency, args.quick, args.json)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.lifecycle", description=DESCRIPTION)
    add = parser.add_argument
    add("--classes", type=positive, help="past classes the sweep completes (default 1000)")
    add("--seats-per-class", type=positive, help="one-seat bookings per past class (default 100)")
    add("--deliveries", type=positive, help="seats of the cancelled class (default 1000)")
    # Two pool processes: one per core of the machine the figures are taken on.
    add("--concurrency", type=positive, default=2, help="pool processes of the one worker")
    add_mode_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(argv)
    sizes = options.sizes
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gb-lifecycle-") as workdir:
        fixture = PastClasses(sizes.classes, sizes.seats_per_class)
        progress(f"completion: loading {fixture.rows:,} rows twice, then timing ...")
        comparisons = [measure_completion(Path(workdir), fixture)]
        _progress_of(comparisons[-1], started)
        progress(f"fan-out: booking a {sizes.deliveries:,}-seat class full, then timing ...")
        try:
            comparisons.append(
                measure_fanout(REDIS_URL, Path(workdir), sizes.deliveries, options.concurrency)
            )
        finally:
            redis.Redis.from_url(REDIS_URL).flushdb()  # the results of thousands of tasks
        _progress_of(comparisons[-1], started)
    report = figures(comparisons, settings_of(options), time.monotonic() - started)
    print(render_json(report) if options.json else render_table(report))
    return 0


def settings_of(options: Options) -> dict[str, Any]:
    sizes = options.sizes
    return {
        "database": "postgresql",
        "past_classes": sizes.classes,
        "seats_per_class": sizes.seats_per_class,
        "workers": 1,
        "concurrency": options.concurrency,
        "deliveries": sizes.deliveries,
        "fanout_chunk": FANOUT_CHUNK,
        "mode": "quick" if options.quick else "full",
    }


def _progress_of(comparison: Comparison, started: float) -> None:
    progress(
        f"  {comparison.measured.label}: {comparison.ratio:.2f}x its baseline "
        f"({time.monotonic() - started:.1f} s so far)"
    )


if __name__ == "__main__":
    sys.exit(main())
