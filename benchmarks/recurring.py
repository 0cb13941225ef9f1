"""Series figure: one create_recurring command against as many single create_booking commands."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from api_client import BookingClient
from harness.bodies import class_body, in_days
from worker.domain.recurrence import expand_rule

from .comparisons import Timing

TIMEZONE = "Europe/Oslo"
MAX_SEATS = 20
LENGTH = timedelta(hours=1)
# Uncounted commands of each kind first, so that every pool process has imported its modules,
# opened its database connections and warmed its caches before the clock runs.
WARMUP_COMMANDS = 4


@dataclass(frozen=True)
class SeriesRun:
    """The three timed phases of one run: the two baselines and the series."""

    sequential: Timing
    pipelined: Timing
    series: Timing


def rule_of(occurrences: int) -> str:
    return f"FREQ=WEEKLY;COUNT={occurrences}"


def weekly_starts(first_start: datetime, occurrences: int) -> list[datetime]:
    """The starts the worker gives the series: weekly on Oslo wall time, so UTC moves with DST."""
    expanded = expand_rule(
        rule_of(occurrences), first_start=first_start, length=LENGTH, timezone=TIMEZONE
    )
    return [occurrence.start for occurrence in expanded]


def series_body(first_start: datetime, occurrences: int) -> dict[str, Any]:
    body = class_body(first_start, max_seats=MAX_SEATS, length=LENGTH)
    body["recurrence"] = {"rrule": rule_of(occurrences), "timezone": TIMEZONE}
    return body


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
    client.create_recurring(series_body(first_start, WARMUP_COMMANDS))


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
    body = series_body(first_start, len(starts))
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
