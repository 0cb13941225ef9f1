"""`python -m benchmarks.waitlist`: cancels that promote from a long line vs plain cancels."""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from api_client import BookingClient, PendingResult
from harness.bodies import class_body, seat_body
from harness.databases import fresh_database
from harness.redis_databases import redis_url
from harness.workers import running_workers

from .load import Comparison, Timing, run_window
from .options import WaitlistOptions, WaitlistSizes, parse_waitlist_options
from .report import progress, render_json, render_waitlist_table, waitlist_figures

TARGET_RATIO = 0.7
# The contract's bound on one bulk command: the line is booked in chunks of this many.
BULK_ITEMS = 1_000
# Setup books thousands of seats through two pool processes: generous, yet a stuck run ends.
SETUP_TIMEOUT_S = 300.0
# Cancels per class in each timed block: blocks short enough that the two kinds take turns many
# times per round.
BLOCK_SEATS = 5
PLAIN = "plain cancels: full classes, no waitlist"
PROMOTING = "cancels that promote: full classes, long waitlist"


@dataclass(frozen=True)
class FullClass:
    id: str
    holders: tuple[str, ...]


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_waitlist_options(argv)
    # The command's own database: running_workers empties it before the workers start.
    url = redis_url("benchmark-waitlist")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gb-waitlist-") as workdir:
        try:
            with (
                fresh_database(options.database, Path(workdir)) as database_url,
                running_workers(
                    url,
                    database_url,
                    Path(workdir),
                    workers=1,
                    concurrency=options.concurrency,
                    settings={"BOOKINGS_NOTIFICATION_CHANNELS": _channels(options)},
                ) as deployment,
                deployment.client(timeout_s=SETUP_TIMEOUT_S) as client,
            ):
                progress(f"workers answering after {time.monotonic() - started:.1f} s")
                comparison = measure_rounds(client, options, started)
        finally:
            redis.Redis.from_url(url).flushdb()  # the results of thousands of tasks
    report = waitlist_figures([comparison], settings_of(options), time.monotonic() - started)
    print(render_json(report) if options.json else render_waitlist_table(report))
    return 0


def settings_of(options: WaitlistOptions) -> dict[str, Any]:
    sizes = options.sizes
    return {
        "database": options.database,
        "workers": 1,
        "concurrency": options.concurrency,
        "in_flight": options.in_flight,
        "classes_per_round": sizes.classes,
        "seats_per_class": sizes.seats_per_class,
        "waiting_per_class": sizes.waiting_per_class,
        "rounds": options.rounds,
        "notifications": options.notifications,
        "mode": "quick" if options.quick else "full",
    }


def _channels(options: WaitlistOptions) -> str:
    return "" if options.notifications == "none" else options.notifications


def measure_rounds(client: BookingClient, options: WaitlistOptions, started: float) -> Comparison:
    """Each round books its own full classes both ways (untimed), then cancels every holder in
    blocks that take turns, plain then promoting, so that a machine whose speed drifts slows
    both alike; the seconds of each kind summed over all blocks and rounds."""
    sizes = options.sizes
    plain_s = promoting_s = 0.0
    cancels = 0
    for round_number in range(1, options.rounds + 1):
        progress(f"round {round_number}: booking {sizes.classes} full classes each way ...")
        plain = cancel_order(full_classes(client, sizes, waiting=0))
        promoting = cancel_order(full_classes(client, sizes, waiting=sizes.waiting_per_class))
        for first in range(0, len(plain), sizes.classes * BLOCK_SEATS):
            block = slice(first, first + sizes.classes * BLOCK_SEATS)
            plain_s += time_cancels(client, plain[block], options.in_flight)
            promoting_s += time_cancels(client, promoting[block], options.in_flight)
        check_counts(client, plain, (0, 0))
        check_counts(
            client,
            promoting,
            (sizes.seats_per_class, sizes.waiting_per_class - sizes.seats_per_class),
        )
        cancels += len(plain)
        progress(
            f"  so far {plain_s:.2f} s plain, {promoting_s:.2f} s promoting "
            f"({time.monotonic() - started:.1f} s in all)"
        )
    notes = [
        f"order: each round books fresh full classes (untimed), then blocks of "
        f"{sizes.classes * BLOCK_SEATS} cancels take turns, plain then promoting; seconds summed; "
        "ratio = promoting cancels/s / plain cancels/s",
        f"each cancel frees one seat; in the waitlist's classes it promotes the first of "
        f"{sizes.waiting_per_class} one-seat entries in its transaction (counts checked after "
        "each round)",
        "cancels go round the classes, at most the in-flight count unanswered",
    ]
    return Comparison(
        Timing(PLAIN, cancels, "cancels", plain_s),
        Timing(PROMOTING, cancels, "cancels", promoting_s),
        by="rate",
        target_ratio=TARGET_RATIO,
        notes=notes,
    )


def full_classes(client: BookingClient, sizes: WaitlistSizes, *, waiting: int) -> list[FullClass]:
    """`sizes.classes` classes of one-seat holders, each with `waiting` one-seat entries in line
    (booked in bulk commands, concurrently)."""
    bodies = [
        class_body(max_seats=sizes.seats_per_class, waitlist_size=waiting)
        for _ in range(sizes.classes)
    ]
    class_ids = [str(h.result()["data"]["id"]) for h in [client.submit_booking(b) for b in bodies]]
    holders = [
        client.submit_bulk(
            [seat_body(class_id, 1, f"Holder {n}") for n in range(sizes.seats_per_class)]
        )
        for class_id in class_ids
    ]
    lines = [
        client.submit_bulk(
            [
                seat_body(class_id, 1, f"Waiting {n}", waitlist=True)
                for n in range(first, min(first + BULK_ITEMS, waiting))
            ]
        )
        for class_id in class_ids
        for first in range(0, waiting, BULK_ITEMS)
    ]
    booked = [_ids(handle) for handle in holders]
    for handle in lines:
        _ids(handle)
    return [FullClass(i, tuple(seats)) for i, seats in zip(class_ids, booked, strict=True)]


def _ids(handle: PendingResult) -> list[str]:
    return [str(outcome["data"]["id"]) for outcome in handle.result()["data"]]


def cancel_order(classes: list[FullClass]) -> list[tuple[str, str]]:
    """(class, holder) of every holder, going round the classes, so that the cancels in flight
    at any moment are for different classes."""
    seats = len(classes[0].holders)
    return [(klass.id, klass.holders[seat]) for seat in range(seats) for klass in classes]


def time_cancels(client: BookingClient, order: list[tuple[str, str]], in_flight: int) -> float:
    """Seconds from the first cancel sent to the last answered."""

    def cancel(sequence: int) -> PendingResult:
        _class_id, holder = order[sequence]
        return client.submit_action(holder, "cancel_by_customer", "Can't come after all")

    run = run_window(cancel, len(order), in_flight)
    if run.errors:
        raise RuntimeError(f"{len(run.errors)} cancels failed; first: {run.errors[0]}")
    return run.finished - run.started


def check_counts(
    client: BookingClient, order: list[tuple[str, str]], held_waiting: tuple[int, int]
) -> None:
    """Every cancel freed its seat and, where a line waited, promoted one entry from it."""
    for class_id in sorted({class_id for class_id, _holder in order}):
        data = client.get_booking(class_id, include="attributes")["data"]
        counts = data["attributes"]["group_booking"]
        if (counts["current_seats"], counts["waitlist_seats"]) != held_waiting:
            raise RuntimeError(
                f"class {class_id}: {counts}, expected (held, waiting) {held_waiting}"
            )


if __name__ == "__main__":
    sys.exit(main())
