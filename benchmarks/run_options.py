"""Command-line options of `python -m benchmarks.run`: the load, the deployments, the rows."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass

from .load import LoadShape
from .options import Sizes, add_load_options, add_mode_options, positive, sizes_from

RUN_DESCRIPTION = "Seat-booking throughput and latency against the no-op ceiling, on real workers."
# Full sizes aim at 1-2 minutes per deployment on a 2-core machine (the default run has two);
# quick at about 20 s each.
RUN_FULL = Sizes(requests=8_000, warmup=800)
RUN_QUICK = Sizes(requests=800, warmup=160)
# The pools Celery can run tasks in that make sense for I/O-bound bookings: forked processes, or
# threads in the worker's main process (the GIL shared, the connections to Redis and PostgreSQL
# waited on in parallel).
POOLS = ("prefork", "threads")


@dataclass(frozen=True)
class PoolSetting:
    """A worker's `--pool` and `--concurrency`, written pool:concurrency (prefork:4)."""

    pool: str
    concurrency: int

    @property
    def label(self) -> str:
        return f"{self.pool}:{self.concurrency}"


def pool_settings(text: str) -> tuple[PoolSetting, ...]:
    """An argparse type: a comma-separated list such as prefork:2,prefork:4,threads:8."""
    settings = []
    for item in text.split(","):
        pool, _, concurrency = item.strip().partition(":")
        if pool not in POOLS or not concurrency:
            raise argparse.ArgumentTypeError(f"{item!r}: want pool:concurrency, pool in {POOLS}")
        settings.append(PoolSetting(pool, positive(concurrency)))
    return tuple(settings)


@dataclass(frozen=True)
class RunOptions:
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
    log_delivery: str
    batching: str = "both"
    batch_writes: str = "both"
    pools: tuple[PoolSetting, ...] = ()
    metrics: bool = True
    client_rows: bool = True
    gateway: bool = False

    @property
    def pool_settings(self) -> tuple[PoolSetting, ...]:
        """The deployments' pools: those asked for, else prefork at --concurrency."""
        return self.pools or (PoolSetting("prefork", self.concurrency),)


def parse_run_options(argv: Sequence[str] | None = None) -> RunOptions:
    args = _run_parser().parse_args(argv)
    sizes = sizes_from(args, RUN_FULL, RUN_QUICK)
    return RunOptions(
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
        log_delivery=args.log_delivery,
        batching=args.batching,
        batch_writes=args.batch_writes,
        pools=args.pools or (),
        metrics=args.metrics,
        client_rows=args.client_rows,
        gateway=args.gateway,
    )


def _run_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=RUN_DESCRIPTION)
    add = parser.add_argument
    add("--database", choices=("postgresql", "sqlite"), default="postgresql")
    add("--workers", type=positive, default=1, help="worker instances (default 1)")
    add_load_options(parser)
    # Each seat booking tells the owner and the customer; "none" measures the booking alone,
    # and "both" (the default) runs it on workers without notifications, then with the log.
    add(
        "--notifications",
        default="both",
        help="the workers' BOOKINGS_NOTIFICATION_CHANNELS: both (none, then log; the "
        "default), none, log, ...",
    )
    # How the log channel's rows are marked delivered (worker/local_delivery.py); "both" runs
    # the seat bookings on per-command workers, then on batched ones, in the same run.
    add(
        "--log-delivery",
        choices=("batched", "per-command", "both"),
        default="batched",
        help="the workers' BOOKINGS_LOG_DELIVERY, or both one after the other",
    )
    # Seat bookings that queue while the pool is busy applied together (worker/batching.py);
    # "both" (the default) adds a deployment without it, before the others, for the lever's row.
    add(
        "--batching",
        choices=("on", "off", "both"),
        default="both",
        help="BOOKINGS_BOOKING_BATCH_MAX at its default (on) or 1 (off); both (the default) "
        "adds workers without batching and without notifications, for comparison",
    )
    # How a batch writes (worker/handlers/together.py); "both" (the default) adds, before the
    # batched deployment without notifications, one writing per booking, for the lever's row.
    add(
        "--batch-writes",
        choices=("deferred", "per-booking", "both"),
        default="both",
        help="the workers' BOOKINGS_BOOKING_BATCH_WRITES, or both (the default: per-booking, "
        "then deferred, for the booking path alone)",
    )
    # Each pool setting on workers of its own, with its own ceiling; overrides --concurrency.
    add(
        "--pools",
        type=pool_settings,
        help="compare pools, e.g. prefork:2,prefork:4,prefork:8,threads:8 (default: "
        "prefork at --concurrency)",
    )
    # On, the workers serve Prometheus metrics and the table shows the batch sizes they saw.
    add(
        "--metrics",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="scrape the workers' metrics for batch sizes (default on)",
    )
    add(
        "--client-rows",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="time the client's submit alone and its result collection (default on)",
    )
    add("--gateway", action="store_true", help="seat bookings through the HTTP gateway too")
    add_mode_options(parser)
    return parser


def run_shape(options: RunOptions) -> LoadShape:
    return LoadShape(
        clients=options.clients,
        in_flight=options.in_flight,
        warmup_per_client=options.sizes.warmup // options.clients,
        requests_per_client=max(1, options.sizes.requests // options.clients),
    )
