"""The table of `python -m benchmarks.run`: each row against its deployment's ceiling, with the
throughput and p99 targets, the batch sizes seen, and the client's own rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .batches import BatchSizes
from .load import Measurement, Workload
from .report import render_grid, settings_line


@dataclass(frozen=True)
class Row:
    """One workload and what was measured for it, on one deployment (`group`)."""

    workload: Workload
    measurement: Measurement
    group: str = ""
    batches: BatchSizes | None = None


def run_figures(rows: list[Row], settings: dict[str, Any], duration_s: float) -> dict[str, Any]:
    """Everything the table shows, each row's ratios taken against its deployment's ceiling."""
    ceilings: dict[str, Measurement] = {}
    for row in rows:
        if row.workload.unit == "tasks":
            ceilings.setdefault(row.group, row.measurement)
    return {
        "settings": settings,
        "duration_s": round(duration_s, 1),
        "rows": [_run_row_figures(row, ceilings.get(row.group)) for row in rows],
    }


def _run_row_figures(row: Row, ceiling: Measurement | None) -> dict[str, Any]:
    measured, target = row.measurement, row.workload.target_ratio
    ratio = _quotient(measured.per_second, ceiling.per_second) if ceiling else None
    p99 = measured.percentile_ms(99)
    # Latency is compared for the round trips of bookings only: a client row times one call.
    compared = ceiling is not None and row.workload.unit == "bookings"
    p99_ratio = _quotient(p99, ceiling.percentile_ms(99)) if ceiling and compared else None
    return {
        "workload": row.workload.label,
        "group": row.group,
        "unit": row.workload.unit,
        "per_second": round(measured.per_second, 1),
        "ratio_to_ceiling": None if ratio is None else round(ratio, 3),
        "target_ratio": target,
        "meets_target": _at_least(ratio, target),
        "p50_ms": round(measured.percentile_ms(50), 2),
        "p99_ms": round(p99, 2),
        "p99_ratio_to_ceiling": None if p99_ratio is None else round(p99_ratio, 3),
        "p99_target_ratio": row.workload.p99_target_ratio,
        "meets_p99_target": _at_most(p99_ratio, row.workload.p99_target_ratio),
        "batches": None if row.batches is None else row.batches.figures(),
        "completed": measured.completed,
        "errors": measured.errors,
        "first_error": measured.first_error,
        "elapsed_s": round(measured.elapsed_s, 2),
    }


def _quotient(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else float("inf")


def _at_least(ratio: float | None, target: float | None) -> bool | None:
    return None if target is None or ratio is None else ratio >= target


def _at_most(ratio: float | None, target: float | None) -> bool | None:
    return None if target is None or ratio is None else ratio <= target


# The label the gateway's row starts with (benchmarks.run --gateway).
GATEWAY_ROW = "seat bookings via gateway"

RUN_HEADER = (
    "workload", "throughput", "vs ceiling", "target", "p50 ms", "p99 ms",
    "p99 vs ceiling", "p99 target", "batch mean", "batch max", "errors",
)  # fmt: skip


def render_run_table(report: dict[str, Any]) -> str:
    body = [_run_cells(row) for row in report["rows"]]
    table = render_grid(RUN_HEADER, body, text_columns=(0, 3, 7))
    return "\n".join([settings_line(report["settings"]), "", table, "", *_run_notes(report)])


def _run_cells(row: dict[str, Any]) -> tuple[str, ...]:
    ratio, p99_ratio, batches = row["ratio_to_ceiling"], row["p99_ratio_to_ceiling"], row["batches"]
    return (
        row["workload"],
        f"{row['per_second']:,.1f} {row['unit']}/s",
        _ratio_text(ratio, row["target_ratio"]),
        _verdict(">=", row["target_ratio"], row["meets_target"]),
        f"{row['p50_ms']:.1f}",
        f"{row['p99_ms']:.1f}",
        _ratio_text(p99_ratio, row["p99_target_ratio"]),
        _verdict("<=", row["p99_target_ratio"], row["meets_p99_target"]),
        "-" if batches is None else f"{batches['mean']:.2f}",
        "-" if batches is None else _bound(batches["max_at_most"]),
        str(row["errors"]),
    )


def _ratio_text(ratio: float | None, target: float | None) -> str:
    """Two decimals; three where two would print the target itself (0.599x, not a 0.60x
    that reads as meeting 0.6x)."""
    if ratio is None:
        return "-"
    if target is not None and round(ratio, 2) == round(target, 2) and ratio != target:
        return f"{ratio:.3f}x"
    return f"{ratio:.2f}x"


def _verdict(sign: str, target: float | None, met: bool | None) -> str:
    if target is None:
        return "-"
    return f"{sign} {target:.1f}x {'met' if met else 'MISSED'}"


def _bound(value: float) -> str:
    return f"{value:g}" if value != float("inf") else "> top bucket"


def _run_notes(report: dict[str, Any]) -> list[str]:
    rows = report["rows"]
    notes = [
        "latency: enqueue to result obtained, under the same load as the throughput figure",
        "vs ceiling, p99 vs ceiling: against the no-op measured on the same workers just "
        "before (each deployment measures its own)",
        "p99 target: a booking's p99 within 2x the no-op's p99 under the same load",
    ]
    if any(row["batches"] for row in rows):
        notes.append(
            "batch: commands per booking task, from the workers' metrics scraped before and "
            "after each row, warm-up included (1 without batching)"
        )
    if any(row["workload"].startswith("client ") for row in rows):
        notes.append(
            "client rows: one client process, each call timed; 'submit only' sent while no "
            "worker ran (emptied after), collection timed once every answer was stored"
        )
    if any(row["workload"].startswith(GATEWAY_ROW) for row in rows):
        notes.append(
            "gateway: latency from request sent to its 201; compare its throughput with the "
            "spread row's (benchmarks.gateway takes turns, for its >= 0.8x target)"
        )
    notes.append(f"run took {report['duration_s']:.1f} s in all")
    notes += [
        f"first error in {row['workload']}: {row['first_error']}"
        for row in rows
        if row["first_error"]
    ]
    return notes
