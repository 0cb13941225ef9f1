"""The figures of `benchmarks.scaling`: throughput by instance count, costs per booking, and what
those costs predict for Redis, PostgreSQL and the workers on machines of their own."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from .costs import PerBooking
from .load import Measurement
from .report import render_grid, settings_line

LOCK_HOLD_HISTOGRAM = "bookings_lock_hold_seconds"
NO_OP_LABEL = "no-op (bookings.ping)"
# The order of magnitude redis-benchmark gives for simple commands (GET, SET, LPUSH) on one core
# without pipelining; scripts, pub/sub and blocking pops cost more each, so Redis's measured
# CPU time per booking is the better guide, and both are printed.
REDIS_COMMANDS_PER_CORE_S = 100_000


@dataclass(frozen=True)
class Phase:
    """One workload on one instance count: its throughput, costs and class-lock time."""

    instances: int
    pool_processes: int
    workload: str
    unit: str  # bookings, or tasks for the no-op
    measurement: Measurement
    costs: PerBooking
    lock_held_s: float  # the class locks' hold time summed over the phase (warm-up included)

    @property
    def lock_held_ms_per_booking(self) -> float:
        return self.lock_held_s * 1e3 / max(self.costs.bookings, 1)


def scaling_figures(
    phases: list[Phase], settings: dict[str, Any], duration_s: float
) -> dict[str, Any]:
    """Everything the tables show; each rate also as a multiple of the fewest instances'."""
    first: dict[str, float] = {}
    for phase in phases:
        first.setdefault(phase.workload, phase.measurement.per_second)
    return {
        "settings": {**settings, "cpus": os.cpu_count()},
        "duration_s": round(duration_s, 1),
        "phases": [_phase_figures(phase, first[phase.workload]) for phase in phases],
        "projections": projections(phases),
    }


def _phase_figures(phase: Phase, baseline: float) -> dict[str, Any]:
    measured = phase.measurement
    hold_ms = phase.lock_held_ms_per_booking
    return {
        "instances": phase.instances,
        "pool_processes": phase.pool_processes,
        "workload": phase.workload,
        "unit": phase.unit,
        "per_second": round(measured.per_second, 1),
        "vs_fewest_instances": round(measured.per_second / baseline, 3) if baseline else None,
        "p50_ms": round(measured.percentile_ms(50), 2),
        "p99_ms": round(measured.percentile_ms(99), 2),
        "errors": measured.errors,
        "lock_held_ms_per_booking": round(hold_ms, 3),
        # One class's bookings are serialised by its lock: no faster than one per hold.
        "one_class_cap_per_s": round(1e3 / hold_ms, 1) if hold_ms > 0 else None,
        "per_booking": phase.costs.figures(),
    }


def projections(phases: list[Phase]) -> list[str]:
    """Bookings per second each part could serve per core of its own, from the first spread
    phase (the fewest instances: the least contention)."""
    spread = next((phase for phase in phases if phase.workload.startswith("spread")), None)
    if spread is None:
        return []
    costs = spread.costs
    cpu = costs.cpu_ms
    by_commands = _rate(costs.redis_commands, 1 / REDIS_COMMANDS_PER_CORE_S)
    lines = [
        f"from the {spread.instances}-instance spread phase, per booking:",
        f"  Redis: {costs.redis_commands:.1f} commands -> ~{by_commands} "
        f"bookings/s at {REDIS_COMMANDS_PER_CORE_S:,} simple commands/s; its measured CPU, "
        f"{cpu['redis']:.3f} ms -> ~{_rate(cpu['redis'], 1e-3)} bookings/s on its one core",
        f"  PostgreSQL: {costs.transactions:.1f} transactions, {costs.scans:.1f} index/seq scans "
        f"and {costs.rows_inserted:.1f} rows inserted ({costs.rows_written:.1f} written); "
        f"backend CPU {cpu['postgres']:.3f} ms -> ~{_rate(cpu['postgres'], 1e-3)} bookings/s "
        "per core (WAL writer, checkpoints and fsync on top)",
        f"  workers: {cpu['workers']:.3f} ms CPU -> ~{_rate(cpu['workers'], 1e-3)} bookings/s "
        "per worker core",
        f"  clients: {cpu['clients']:.3f} ms CPU -> ~{_rate(cpu['clients'], 1e-3)} bookings/s "
        "per client core",
    ]
    total = sum(cpu.values())
    cores = os.cpu_count() or 1
    lines.append(
        f"  all of it on this machine: {total:.3f} ms CPU -> at most "
        f"~{_rate(total, 1e-3 / cores)} bookings/s on its {cores} cores, whatever the instances"
    )
    no_op = _first(phases, spread.instances, NO_OP_LABEL)
    if no_op is not None:
        lines.append(
            f"  a no-op task, for comparison: workers {no_op.costs.cpu_ms['workers']:.3f} ms, "
            f"Redis {no_op.costs.redis_commands:.1f} commands and "
            f"{no_op.costs.cpu_ms['redis']:.3f} ms CPU"
        )
    hot = _first(phases, spread.instances, "hot")
    if hot is not None and hot.lock_held_ms_per_booking > 0:
        hold_ms = hot.lock_held_ms_per_booking
        lines.append(
            f"  one hot class: its lock held {hold_ms:.2f} ms per booking -> at most "
            f"~{_rate(hold_ms, 1e-3)} bookings/s on it, however many instances"
        )
    return lines


def _first(phases: list[Phase], instances: int, label_start: str) -> Phase | None:
    return next(
        (p for p in phases if p.instances == instances and p.workload.startswith(label_start)),
        None,
    )


def _rate(cost: float, seconds_per_unit: float) -> str:
    """Bookings per second when each costs `cost` units of `seconds_per_unit` seconds."""
    if cost <= 0:
        return "-"
    return f"{1 / (cost * seconds_per_unit):,.0f}"


THROUGHPUT_HEADER = (
    "instances", "pool", "workload", "throughput", "vs fewest", "p50 ms", "p99 ms",
    "errors", "lock held ms/booking", "one-class cap",
)  # fmt: skip
COST_HEADER = (
    "instances", "workload", "redis cmds", "pg xacts", "pg scans", "pg rows ins",
    "cpu ms workers", "cpu ms redis", "cpu ms postgres", "cpu ms clients",
)  # fmt: skip


def render_scaling_table(report: dict[str, Any]) -> str:
    phases = report["phases"]
    throughput = render_grid(
        THROUGHPUT_HEADER, [_throughput_cells(phase) for phase in phases], text_columns=(2,)
    )
    costs = render_grid(COST_HEADER, [_cost_cells(phase) for phase in phases], text_columns=(1,))
    notes = [
        "per booking (per task for the no-op): counters read before and after each phase "
        "(warm-up included), over the requests sent; redis cmds from INFO commandstats "
        "(clients and workers), pg from pg_stat_database and pg_stat_user_tables of the run's "
        "own database, CPU from /proc (pg: the backends serving the run's database), Redis's "
        "INFO cpu, and the clients' own process time over their measured requests",
        "one-class cap: 1 / the class lock's hold time per booking, the most one class can take",
        *_top_commands(phases),
        *report["projections"],
        f"run took {report['duration_s']:.1f} s in all",
    ]
    return "\n".join([settings_line(report["settings"]), "", throughput, "", costs, "", *notes])


def _throughput_cells(phase: dict[str, Any]) -> tuple[str, ...]:
    ratio, cap = phase["vs_fewest_instances"], phase["one_class_cap_per_s"]
    held = "-" if cap is None else f"{phase['lock_held_ms_per_booking']:.2f}"  # no lock taken
    return (
        str(phase["instances"]),
        str(phase["pool_processes"]),
        phase["workload"],
        f"{phase['per_second']:,.1f} {phase['unit']}/s",
        "-" if ratio is None else f"{ratio:.2f}x",
        f"{phase['p50_ms']:.1f}",
        f"{phase['p99_ms']:.1f}",
        str(phase["errors"]),
        held,
        "-" if cap is None else f"{cap:,.0f}/s",
    )


def _cost_cells(phase: dict[str, Any]) -> tuple[str, ...]:
    costs = phase["per_booking"]
    cpu = costs["cpu_ms"]
    return (
        str(phase["instances"]),
        phase["workload"],
        f"{costs['redis_commands']:.1f}",
        f"{costs['pg_transactions']:.2f}",
        f"{costs['pg_scans']:.1f}",
        f"{costs['pg_rows_inserted']:.1f}",
        f"{cpu['workers']:.2f}",
        f"{cpu['redis']:.3f}",
        f"{cpu['postgres']:.2f}",
        f"{cpu['clients']:.2f}",
    )


def _top_commands(phases: list[dict[str, Any]]) -> list[str]:
    lines = []
    for phase in phases:
        if phase["instances"] == phases[0]["instances"]:
            top = ", ".join(
                f"{name} {calls:.1f}" for name, calls in phase["per_booking"]["redis_top"]
            )
            lines.append(f"redis commands per request, {phase['workload']}: {top}")
    return lines
