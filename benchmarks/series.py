"""`python -m benchmarks.series`: a season in one create_recurring vs as many create_booking."""

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

from api_client.contract.recurrence import MAX_OCCURRENCES
from harness.databases import fresh_database
from harness.workers import running_workers

from .options import add_mode_options, positive
from .recurring import TIMEZONE, SeriesRun, measure_series, rule_of
from .report import progress, render_json
from .speedups import figures, render_table, speedup

DESCRIPTION = (
    "Ten years of a weekly class created by one create_recurring command, against the same "
    "classes created by single create_booking commands, sequential and pipelined, in one run."
)
# Database 2 is this command's own: running_workers empties it before the workers start, and
# no test (4 to 15), the demo (0), benchmarks.run (7) nor benchmarks.lifecycle (3) uses it.
REDIS_URL = "redis://127.0.0.1:6379/2"
# Full: ten years of a weekly class. Quick: two years, a run of a few seconds.
FULL_OCCURRENCES = 520
QUICK_OCCURRENCES = 104
# The sequential baseline waits for every answer in turn; a stuck worker still ends the run.
RESULT_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Options:
    database: str
    concurrency: int
    occurrences: int
    quick: bool
    json: bool


def parse_options(argv: Sequence[str] | None = None) -> Options:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.occurrences is not None and args.occurrences > MAX_OCCURRENCES:
        parser.error(f"--occurrences: a series holds at most {MAX_OCCURRENCES} classes")
    default = QUICK_OCCURRENCES if args.quick else FULL_OCCURRENCES
    occurrences = args.occurrences or default
    return Options(args.database, args.concurrency, occurrences, args.quick, args.json)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.series", description=DESCRIPTION)
    add = parser.add_argument
    add("--database", choices=("postgresql", "sqlite"), default="postgresql")
    # Two pool processes: one per core of the machine the figures are taken on.
    add("--concurrency", type=positive, default=2, help="pool processes of the one worker")
    add("--occurrences", type=positive, help="weekly classes (default 520; 104 with --quick)")
    add_mode_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gb-series-") as workdir:
        try:
            with (
                fresh_database(options.database, Path(workdir)) as database_url,
                running_workers(
                    REDIS_URL,
                    database_url,
                    Path(workdir),
                    workers=1,
                    concurrency=options.concurrency,
                ) as deployment,
                deployment.client(timeout_s=RESULT_TIMEOUT_S) as client,
            ):
                progress(f"workers answering after {time.monotonic() - started:.1f} s")
                progress(f"timing {options.occurrences} classes three ways ...")
                run = measure_series(client, options.occurrences)
                _progress_of(run, started)
        finally:
            redis.Redis.from_url(REDIS_URL).flushdb()  # the results of over a thousand tasks
    report = figures(run, settings_of(options), time.monotonic() - started)
    print(render_json(report) if options.json else render_table(report))
    return 0


def settings_of(options: Options) -> dict[str, Any]:
    return {
        "database": options.database,
        "workers": 1,
        "concurrency": options.concurrency,
        "rrule": rule_of(options.occurrences),
        "timezone": TIMEZONE,
        "mode": "quick" if options.quick else "full",
    }


def _progress_of(run: SeriesRun, started: float) -> None:
    for baseline in (run.sequential, run.pipelined):
        progress(
            f"  {baseline.label}: {baseline.elapsed_s:.3f} s, "
            f"series {speedup(baseline, run.series):.1f}x faster"
        )
    progress(f"  {run.series.label}: {run.series.elapsed_s:.3f} s")
    progress(f"  ({time.monotonic() - started:.1f} s so far)")


if __name__ == "__main__":
    sys.exit(main())
