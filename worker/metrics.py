"""The figures the workers export to Prometheus: defined here, recorded where they happen.

Off (BOOKINGS_METRICS_PORT unset), every recording function returns at its first line and
prometheus_client is never imported. On, the worker's main process calls `start_recording`
after pointing PROMETHEUS_MULTIPROC_DIR at its instance's directory and before it forks its
pool (worker/metrics_exporter.py), so each pool process writes its figures to files there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from prometheus_client import Counter, Histogram

# A lock is held and a transaction open for milliseconds; a busy class makes a command wait up
# to BOOKINGS_LOCK_WAIT_S (2 s by default) before it retries.
SECONDS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# One today (each-alone bulk commands are several); batching would fill the upper buckets.
COMMANDS_PER_TASK_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000)

TransactionKind = Literal["read", "write"]
TransactionEnd = Literal["commit", "rollback"]


class Figures:
    """Every metric the workers record; built once per worker instance, before its fork."""

    def __init__(self) -> None:
        from prometheus_client import Counter, Histogram

        self.commands: Counter = Counter(
            "bookings_commands",
            "Commands and queries the runner answered, by command and outcome: applied, "
            "replayed (an idempotency key seen before), refused_<status>, busy (class locked, "
            "retried later) or read (a query answered)",
            ["command", "outcome"],
        )
        self.commands_per_task: Histogram = Histogram(
            "bookings_commands_per_task",
            "Commands one task ran: 1, the items of an each-alone bulk command, or the "
            "bookings of a batch handed to a pool process together (worker/batching.py)",
            buckets=COMMANDS_PER_TASK_BUCKETS,
        )
        self.lock_wait: Histogram = Histogram(
            "bookings_lock_wait_seconds",
            "Time a command waited for a class lock, taken or not",
            buckets=SECONDS_BUCKETS,
        )
        self.lock_hold: Histogram = Histogram(
            "bookings_lock_hold_seconds",
            "Time a command held a class lock",
            buckets=SECONDS_BUCKETS,
        )
        self.transaction: Histogram = Histogram(
            "bookings_transaction_seconds",
            "Time a database transaction stayed open, by kind (read, write) and how it ended",
            ["kind", "ended"],
            buckets=SECONDS_BUCKETS,
        )
        self.deliveries: Counter = Counter(
            "bookings_deliveries",
            "Notification sends by channel and outcome: delivered, retrying (failed, tried "
            "again later) or failed (failed its last attempt)",
            ["channel", "outcome"],
        )


_figures: Figures | None = None


def start_recording() -> None:
    """Record from now on, in this process and the processes it forks."""
    global _figures
    if _figures is None:
        _figures = Figures()


def command_answered(command: str, outcome: str) -> None:
    if _figures is not None:
        _figures.commands.labels(command, outcome).inc()


def commands_in_task(count: int) -> None:
    if _figures is not None:
        _figures.commands_per_task.observe(count)


def lock_waited(seconds: float) -> None:
    if _figures is not None:
        _figures.lock_wait.observe(seconds)


def lock_held(seconds: float) -> None:
    if _figures is not None:
        _figures.lock_hold.observe(seconds)


def transaction_ended(kind: TransactionKind, ended: TransactionEnd, seconds: float) -> None:
    if _figures is not None:
        _figures.transaction.labels(kind, ended).observe(seconds)


def deliveries_ended(counts: Mapping[tuple[str, str], int]) -> None:
    """Sends just recorded: how many per (channel, outcome)."""
    if _figures is not None:
        for (channel, outcome), count in counts.items():
            _figures.deliveries.labels(channel, outcome).inc(count)
