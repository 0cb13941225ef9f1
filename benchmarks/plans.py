"""Which deployments `benchmarks.run` starts, in order, and how their rows are labelled.

For each pool setting, one deployment per notification setting, each on fresh workers and a
fresh database, and each measuring its own no-op ceiling first: its bookings are compared with
the no-op on the same workers a minute before, not with one measured minutes earlier (the
machine's speed drifts by a third within minutes, and a pool's no-op rate is its own).
"""

from __future__ import annotations

from dataclasses import dataclass

from .run_options import PoolSetting, RunOptions

# The latency target: a booking's p99 from enqueue to result within twice the no-op's
# p99 under the same load.
P99_TARGET_RATIO = 2.0


@dataclass(frozen=True)
class DeploymentPlan:
    """One deployment: its workers' pool and notification settings, and what it measures."""

    pool: PoolSetting
    notifications: str  # BOOKINGS_NOTIFICATION_CHANNELS; "none" for the empty setting
    log_delivery: str
    batching: bool  # False: BOOKINGS_BOOKING_BATCH_MAX=1, a task per booking
    batch_writes: str  # BOOKINGS_BOOKING_BATCH_WRITES: deferred, or per-booking (the lever's row)
    first: bool  # the run's first deployment: the client and gateway rows are measured on it
    suffix: str  # what tells its rows from the other deployments': " [log, prefork:4]"

    @property
    def group(self) -> str:
        """The rows compared with this deployment's ceiling: the suffix, which names the pool
        when several are compared, else the pool alone."""
        return self.suffix or self.pool.label

    @property
    def channels(self) -> str:
        return "" if self.notifications == "none" else self.notifications


def deployment_plans(options: RunOptions) -> list[DeploymentPlan]:
    variants = [
        (notifications, log_delivery, batching, writes)
        for batching in batching_variants(options)
        for notifications, log_delivery in notification_variants(options)
        for writes in batch_writes_variants(options, batching, notifications)
        # The lever's row: the booking path alone, without batching.
        if batching or options.batching == "off" or notifications == "none"
    ]
    pools = options.pool_settings
    plans: list[DeploymentPlan] = []
    for pool in pools:
        for notifications, log_delivery, batching, writes in variants:
            parts = []
            if len(variants) > 1:
                parts.append(variant_label(notifications, log_delivery, options))
            if options.batching != "on" and (options.batching == "both" or not batching):
                parts.append("batching " + ("on" if batching else "off"))
            if batching and options.batch_writes == "both" and notifications == "none":
                parts.append(f"{writes} writes")
            if options.pools:
                parts.append(pool.label)
            suffix = f" [{', '.join(parts)}]" if parts else ""
            plans.append(
                DeploymentPlan(
                    pool, notifications, log_delivery, batching, writes, not plans, suffix
                )
            )
    return plans


def batch_writes_variants(
    options: RunOptions, batching: bool, notifications: str
) -> tuple[str, ...]:
    """How batches write: both ways (per booking first, the old path) for the booking path
    alone when asked, else as asked."""
    if options.batch_writes != "both":
        return (options.batch_writes,)
    if batching and notifications == "none":
        return ("per-booking", "deferred")
    return ("deferred",)


def batching_variants(options: RunOptions) -> tuple[bool, ...]:
    """Without batching first (the old path), then with it, as asked."""
    return {"on": (True,), "off": (False,), "both": (False, True)}[options.batching]


def notification_variants(options: RunOptions) -> list[tuple[str, str]]:
    """(notifications, log delivery) of each deployment of a pool, in the order run."""
    chosen = ("none", "log") if options.notifications == "both" else (options.notifications,)
    deliveries = ("per-command", "batched") if options.log_delivery == "both" else None
    variants = []
    for notifications in chosen:
        if "log" in notifications.split(",") and deliveries:
            variants += [(notifications, delivery) for delivery in deliveries]
        else:
            variants.append((notifications, "batched" if deliveries else options.log_delivery))
    return variants


def variant_label(notifications: str, log_delivery: str, options: RunOptions) -> str:
    if notifications == "none":
        return "no notifications"
    if options.log_delivery == "both" and "log" in notifications.split(","):
        return f"{notifications} {log_delivery}"
    return notifications
