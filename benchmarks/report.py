"""The figures of one run, as a plain-text table or as JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from .load import Measurement
from .workloads import Workload


@dataclass(frozen=True)
class Row:
    """One workload and what was measured for it."""

    workload: Workload
    measurement: Measurement


def figures(rows: list[Row], settings: dict[str, Any], duration_s: float) -> dict[str, Any]:
    """Everything the table shows, with ratios taken against the first row (the ceiling)."""
    ceiling = rows[0].measurement.per_second
    return {
        "settings": settings,
        "duration_s": round(duration_s, 1),
        "rows": [_row_figures(row, ceiling) for row in rows],
    }


def _row_figures(row: Row, ceiling: float) -> dict[str, Any]:
    measured, target = row.measurement, row.workload.target_ratio
    ratio = measured.per_second / ceiling if ceiling > 0 else 0.0
    return {
        "workload": row.workload.label,
        "unit": row.workload.unit,
        "per_second": round(measured.per_second, 1),
        "ratio_to_ceiling": round(ratio, 3),
        "target_ratio": target,
        "meets_target": None if target is None else ratio >= target,
        "p50_ms": round(measured.percentile_ms(50), 2),
        "p99_ms": round(measured.percentile_ms(99), 2),
        "completed": measured.completed,
        "errors": measured.errors,
        "first_error": measured.first_error,
        "elapsed_s": round(measured.elapsed_s, 2),
    }


def render_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2)


def render_table(report: dict[str, Any]) -> str:
    header = ("workload", "throughput", "vs ceiling", "target", "p50 ms", "p99 ms", "errors")
    body = [_cells(row) for row in report["rows"]]
    table = render_grid(header, body, text_columns=(0, 3))
    return "\n".join([settings_line(report["settings"]), "", table, "", *_notes(report)])


def render_grid(
    header: Sequence[str], body: Sequence[Sequence[str]], *, text_columns: Collection[int]
) -> str:
    """Aligned columns under a rule: text columns to the left, figures to the right."""
    lines = [header, *body]
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    rule = "  ".join("-" * width for width in widths)
    rendered = [_line(line, widths, text_columns) for line in lines]
    return "\n".join([rendered[0], rule, *rendered[1:]])


def settings_line(settings: dict[str, Any]) -> str:
    return "settings: " + ", ".join(f"{key}={value}" for key, value in settings.items())


def progress(message: str) -> None:
    """Progress goes to stderr, so that stdout holds nothing but the figures."""
    print(message, file=sys.stderr, flush=True)


def _cells(row: dict[str, Any]) -> tuple[str, ...]:
    target = row["target_ratio"]
    verdict = "" if target is None else (" met" if row["meets_target"] else " MISSED")
    return (
        row["workload"],
        f"{row['per_second']:.1f} {row['unit']}/s",
        f"{row['ratio_to_ceiling']:.2f}x",
        "-" if target is None else f">= {target:.1f}x{verdict}",
        f"{row['p50_ms']:.1f}",
        f"{row['p99_ms']:.1f}",
        str(row["errors"]),
    )


def _line(cells: Sequence[str], widths: list[int], text_columns: Collection[int]) -> str:
    # Text columns read left to right; figures line up on the right.
    return "  ".join(
        cell.ljust(width) if column in text_columns else cell.rjust(width)
        for column, (cell, width) in enumerate(zip(cells, widths, strict=True))
    ).rstrip()


def _notes(report: dict[str, Any]) -> list[str]:
    notes = [
        "latency: enqueue to result obtained, under the same load as the throughput figure",
        f"run took {report['duration_s']:.1f} s in all",
    ]
    notes += [
        f"first error in {row['workload']}: {row['first_error']}"
        for row in report["rows"]
        if row["first_error"]
    ]
    return notes
