"""The series table: each baseline's time and rate, and how much faster the series was."""

from __future__ import annotations

from typing import Any

from .comparisons import Timing
from .recurring import SeriesRun
from .report import render_grid, settings_line

# The goal: a season in one command at least 20x faster than the single commands of an
# import script, which sends one and waits for its answer before the next.
TARGET_SPEEDUP = 20.0


def figures(run: SeriesRun, settings: dict[str, Any], duration_s: float) -> dict[str, Any]:
    """Everything the table shows, as plain data (the JSON output)."""
    return {
        "settings": settings,
        "duration_s": round(duration_s, 1),
        "series": _timing_figures(run.series),
        "baselines": [
            _baseline_figures(run.sequential, run.series, TARGET_SPEEDUP),
            _baseline_figures(run.pipelined, run.series, None),
        ],
        "target": f"series >= {TARGET_SPEEDUP:.0f}x faster than the sequential singles",
    }


def speedup(baseline: Timing, series: Timing) -> float:
    """Baseline seconds over series seconds, for the same number of classes."""
    return baseline.elapsed_s / series.elapsed_s if series.elapsed_s > 0 else float("inf")


def _baseline_figures(baseline: Timing, series: Timing, target: float | None) -> dict[str, Any]:
    ratio = speedup(baseline, series)
    return {
        **_timing_figures(baseline),
        "series_speedup": round(ratio, 2),
        "target_speedup": target,
        "meets_target": None if target is None else ratio >= target,
    }


def _timing_figures(timing: Timing) -> dict[str, Any]:
    return {
        "label": timing.label,
        "classes": timing.count,
        "seconds": round(timing.elapsed_s, 3),
        "classes_per_second": round(timing.per_second, 1),
    }


def render_table(report: dict[str, Any]) -> str:
    """The baselines first, the series last; the speed-up on each baseline's line."""
    header = ("figure", "classes", "seconds", "rate", "series speed-up", "target")
    body = [
        (*_cells(row), f"{row['series_speedup']:.2f}x", _target(row)) for row in report["baselines"]
    ]
    body.append((*_cells(report["series"]), "-", "(measured)"))
    table = render_grid(header, body, text_columns=(0, 5))
    notes = [
        f"target: {report['target']}, the issue's baseline (each awaited in turn);",
        "  the pipelined singles (all submitted, then all collected) are context only",
        "speed-up = baseline seconds / series seconds, the same classes each way",
        "order: warm-up (uncounted), sequential, pipelined, then the series on the fullest tables",
        f"run took {report['duration_s']:.1f} s in all",
    ]
    return "\n".join([settings_line(report["settings"]), "", table, "", *notes])


def _cells(row: dict[str, Any]) -> tuple[str, str, str, str]:
    return (
        row["label"],
        f"{row['classes']:,}",
        f"{row['seconds']:.3f}",
        f"{row['classes_per_second']:,.0f} classes/s",
    )


def _target(row: dict[str, Any]) -> str:
    if row["target_speedup"] is None:
        return "- (context)"
    verdict = "met" if row["meets_target"] else "MISSED"
    return f">= {row['target_speedup']:.0f}x {verdict}"
