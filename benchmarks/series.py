"""`python -m benchmarks.series`: a season in one create_recurring vs as many create_booking."""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import redis

from api_client import BookingClient
from harness.bodies import class_body, in_days, series_body
from harness.databases import fresh_database
from harness.redis_databases import redis_url
from harness.workers import running_workers
from worker.domain.recurrence import expand_rule

from .load import SeriesRun, Timing
from .options import SeriesOptions, parse_series_options
from .report import progress, render_json, render_series_table, series_figures, speedup

# The sequential baseline waits for every answer in turn; a stuck worker still ends the run.
RESULT_TIMEOUT_S = 120.0
TIMEZONE = "Europe/Oslo"
MAX_SEATS = 20
LENGTH = timedelta(hours=1)
# Uncounted commands of each kind first, so that every pool process has imported its modules,
# opened its database connections and warmed its caches before the clock runs.
WARMUP_COMMANDS = 4


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_series_options(argv)
    # The command's own database: running_workers empties it before the workers start.
    url = redis_url("benchmark-series")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gb-series-") as workdir:
        try:
            with (
                fresh_database(options.database, Path(workdir)) as database_url,
                running_workers(
                    url,
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
            redis.Redis.from_url(url).flushdb()  # the results of over a thousand tasks
    report = series_figures(run, settings_of(options), time.monotonic() - started)
    print(render_json(report) if options.json else render_series_table(report))
    return 0


def settings_of(options: SeriesOptions) -> dict[str, Any]:
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


# The figure: one create_recurring command against as many single create_booking commands.


def rule_of(occurrences: int) -> str:
    return f"FREQ=WEEKLY;COUNT={occurrences}"


def weekly_starts(first_start: datetime, occurrences: int) -> list[datetime]:
    """The starts the worker gives the series: weekly on Oslo wall time, so UTC moves with DST."""
    expanded = expand_rule(
        rule_of(occurrences), first_start=first_start, length=LENGTH, timezone=TIMEZONE
    )
    return [occurrence.start for occurrence in expanded]


def weekly_series_body(first_start: datetime, occurrences: int) -> dict[str, Any]:
    recurrence = {"rrule": rule_of(occurrences), "timezone": TIMEZONE}
    return series_body(recurrence, first_start, max_seats=MAX_SEATS, length=LENGTH)


def measure_series(client: BookingClient, occurrences: int) -> SeriesRun:
    """Warm up, then the sequential singles, the pipelined singles, and the series last.

    The series goes last, on the fullest tables, so that any cost of a growing database counts
    against it rather than for it.
    """
    first_start = in_days(7)
    starts = weekly_starts(first_start, occurrences)
    warm_up(client, first_start)
    sequential = time_sequential(client, starts)
    pipelined = time_pipelined(client, starts)
    series = time_series(client, first_start, starts)
    return SeriesRun(sequential, pipelined, series)


def warm_up(client: BookingClient, first_start: datetime) -> None:
    """A few commands of every kind the run times; their classes are not counted."""
    starts = weekly_starts(first_start, WARMUP_COMMANDS)
    for start in starts:
        client.create_booking(class_body(start, max_seats=MAX_SEATS, length=LENGTH))
    pending = [
        client.submit_booking(class_body(start, max_seats=MAX_SEATS, length=LENGTH))
        for start in starts
    ]
    for handle in pending:
        handle.result()
    client.create_recurring(weekly_series_body(first_start, WARMUP_COMMANDS))


def time_sequential(client: BookingClient, starts: Sequence[datetime]) -> Timing:
    """One create_booking after another, each waiting for its answer, as an import script would."""
    bodies = [class_body(start, max_seats=MAX_SEATS, length=LENGTH) for start in starts]
    started = time.perf_counter()
    results = [client.create_booking(body) for body in bodies]
    elapsed_s = time.perf_counter() - started
    check_classes("sequential singles", [result["data"] for result in results], starts)
    label = f"{len(starts)} single create_booking, sequential"
    return Timing(label, len(results), "classes", elapsed_s)


def time_pipelined(client: BookingClient, starts: Sequence[datetime]) -> Timing:
    """Every create_booking submitted at once, then every result collected."""
    bodies = [class_body(start, max_seats=MAX_SEATS, length=LENGTH) for start in starts]
    started = time.perf_counter()
    pending = [client.submit_booking(body) for body in bodies]
    results = [handle.result() for handle in pending]
    elapsed_s = time.perf_counter() - started
    check_classes("pipelined singles", [result["data"] for result in results], starts)
    label = f"{len(starts)} single create_booking, pipelined"
    return Timing(label, len(results), "classes", elapsed_s)


def time_series(client: BookingClient, first_start: datetime, starts: Sequence[datetime]) -> Timing:
    """One create_recurring command for every start, from its send to its answer."""
    body = weekly_series_body(first_start, len(starts))
    started = time.perf_counter()
    result = client.create_recurring(body)
    elapsed_s = time.perf_counter() - started
    classes = result["data"]["bookings"]
    check_classes("series", classes, starts)
    series_ids = {booking.get("series_id") for booking in classes}
    if series_ids != {result["data"]["series_id"]}:
        raise RuntimeError(f"series: classes carry series ids {series_ids}")
    label = f"1 create_recurring, {len(starts)} weekly occurrences"
    return Timing(label, len(classes), "classes", elapsed_s)


def check_classes(
    phase: str, classes: Sequence[dict[str, Any]], starts: Sequence[datetime]
) -> None:
    """Exactly one new, distinct class per expected start, in order."""
    if len(classes) != len(starts):
        raise RuntimeError(f"{phase}: {len(classes)} classes, expected {len(starts)}")
    if len({booking["id"] for booking in classes}) != len(classes):
        raise RuntimeError(f"{phase}: class ids repeat")
    got = [datetime.fromisoformat(b["attributes"]["event_info"]["start"]) for b in classes]
    if got != list(starts):
        wrong = next(i for i, (g, s) in enumerate(zip(got, starts, strict=True)) if g != s)
        raise RuntimeError(f"{phase}: class {wrong} starts {got[wrong]}, expected {starts[wrong]}")


if __name__ == "__main__":
    sys.exit(main())
