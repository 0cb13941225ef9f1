"""`python -m benchmarks.lifecycle`: the completion sweep and the cancel fan-out vs baselines."""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import redis

from api_client import BookingClient
from harness.bodies import class_body, seat_body
from harness.databases import fresh_database
from harness.receivers import WebhookReceiver, webhook_receiver
from harness.redis_databases import redis_url
from harness.waiting import eventually
from harness.workers import running_workers
from worker.config import Settings

from .completion import PastClasses, measure_completion
from .load import Comparison, Timing
from .options import LifecycleOptions, parse_lifecycle_options
from .report import lifecycle_figures, progress, render_json, render_lifecycle_table

CANCELLED = "booking.cancelled_by_owner"
# The worker's default, set explicitly so that the note printed beside the figure stays true.
FANOUT_CHUNK = int(Settings.model_fields["fanout_chunk"].default)
TARGET_RATIO = 0.7
# Polling the receiver this often adds at most a couple of milliseconds to a timed phase.
POLL_S = 0.002
# Setup books a full class through two pool processes: generous, yet a stuck run still ends.
SETUP_TIMEOUT_S = 300.0


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_lifecycle_options(argv)
    sizes = options.sizes
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gb-lifecycle-") as workdir:
        fixture = PastClasses(sizes.classes, sizes.seats_per_class)
        progress(f"completion: loading {fixture.rows:,} rows twice, then timing ...")
        comparisons = [measure_completion(Path(workdir), fixture)]
        _progress_of(comparisons[-1], started)
        progress(f"fan-out: booking a {sizes.deliveries:,}-seat class full, then timing ...")
        # The command's own database: running_workers empties it before the workers start.
        url = redis_url("benchmark-lifecycle")
        try:
            comparisons.append(
                measure_fanout(url, Path(workdir), sizes.deliveries, options.concurrency)
            )
        finally:
            redis.Redis.from_url(url).flushdb()  # the results of thousands of tasks
        _progress_of(comparisons[-1], started)
    report = lifecycle_figures(comparisons, settings_of(options), time.monotonic() - started)
    print(render_json(report) if options.json else render_lifecycle_table(report))
    return 0


def settings_of(options: LifecycleOptions) -> dict[str, Any]:
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


# Notification fan-out figure: a cancelled class's webhooks against as many no-op tasks.


def measure_fanout(url: str, workdir: Path, deliveries: int, concurrency: int) -> Comparison:
    """One class of `deliveries` seats, booked full, then no-op pings, then the class cancelled."""
    with (
        webhook_receiver() as receiver,
        fresh_database("postgresql", workdir) as database_url,
        running_workers(
            url,
            database_url,
            workdir,
            workers=1,
            concurrency=concurrency,
            settings=_webhook_only(receiver),
        ) as deployment,
        deployment.client(timeout_s=SETUP_TIMEOUT_S) as client,
    ):
        class_id = book_full_class(client, receiver, deliveries)
        pings = time_pings(client, deliveries)
        fanout = time_cancel(client, receiver, class_id, deliveries)
    notes = [
        "fan-out: no-op baseline first, then the cancel, on the same workers; "
        "ratio = deliveries/s / no-op tasks/s",
        f"fan-out: the baseline's time includes the client enqueueing {deliveries:,} messages; "
        f"the cancel's deliveries are enqueued by the worker after its commit, in chunks of "
        f"BOOKINGS_FANOUT_CHUNK={FANOUT_CHUNK}",
    ]
    return Comparison(pings, fanout, by="rate", target_ratio=TARGET_RATIO, notes=notes)


def _webhook_only(receiver: WebhookReceiver) -> dict[str, str]:
    return {
        "BOOKINGS_WEBHOOK_URL": receiver.url,
        "BOOKINGS_WEBHOOK_SECRET": receiver.secret,
        "BOOKINGS_NOTIFICATION_CHANNELS": "webhook",
        "BOOKINGS_FANOUT_CHUNK": str(FANOUT_CHUNK),
    }


def book_full_class(client: BookingClient, receiver: WebhookReceiver, seats: int) -> str:
    """A class of `seats` seats, each booked by its own customer; untimed setup.

    Waits until the receiver holds the owner's and the customer's notice of every booking, so
    that none of them is still being delivered while the figures are taken.
    """
    class_id = str(client.create_booking(class_body(max_seats=seats))["data"]["id"])
    pending = [
        client.submit_booking(seat_body(class_id, 1, name=f"Customer {number}"))
        for number in range(seats)
    ]
    for handle in pending:
        handle.result()
    eventually(lambda: _received(receiver) >= 2 * seats, timeout_s=SETUP_TIMEOUT_S)
    _check_signatures(receiver)
    return class_id


def time_pings(client: BookingClient, count: int) -> Timing:
    """`count` no-op tasks submitted at once, from before the first send to the last result."""
    started = time.perf_counter()
    pending = [client.submit_ping() for _ in range(count)]
    for handle in pending:
        handle.result()
    elapsed_s = time.perf_counter() - started
    return Timing("no-op baseline: bookings.ping", count, "tasks", elapsed_s)


def time_cancel(
    client: BookingClient, receiver: WebhookReceiver, class_id: str, seats: int
) -> Timing:
    """From just before the owner cancels the class until every customer's webhook is in."""
    already = _received(receiver)
    started = time.perf_counter()
    client.cancel(class_id, "The studio is flooded; sorry")
    eventually(
        lambda: _received(receiver) - already >= seats, timeout_s=SETUP_TIMEOUT_S, every_s=POLL_S
    )
    elapsed_s = time.perf_counter() - started
    arrived = receiver.documents()[already:]
    kinds = Counter(document["type"] for document in arrived)
    seat_ids = {document["booking"]["id"] for document in arrived}
    if kinds != Counter({CANCELLED: seats}) or len(seat_ids) != seats:
        raise RuntimeError(f"expected {seats} {CANCELLED} webhooks, one per seat; got {kinds}")
    _check_signatures(receiver)
    return Timing(f"cancel fan-out: {CANCELLED} webhooks", seats, "deliveries", elapsed_s)


def _received(receiver: WebhookReceiver) -> int:
    with receiver.lock:
        return len(receiver.received)


def _check_signatures(receiver: WebhookReceiver) -> None:
    if receiver.bad_signatures or receiver.refused:
        raise RuntimeError(
            f"the receiver refused {receiver.bad_signatures} badly signed webhooks "
            f"and {receiver.refused} others"
        )


if __name__ == "__main__":
    sys.exit(main())
