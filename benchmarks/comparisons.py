"""Figures measured beside their baselines in the same run, and the lifecycle table of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .report import render_grid, settings_line


@dataclass(frozen=True)
class Timing:
    """One timed phase: how many things it moved, and how long that took."""

    label: str
    count: int
    unit: str
    elapsed_s: float

    @property
    def per_second(self) -> float:
        return self.count / self.elapsed_s if self.elapsed_s > 0 else 0.0


@dataclass(frozen=True)
class Comparison:
    """A figure and its baseline, compared by time taken (lower is better) or by rate."""

    baseline: Timing
    measured: Timing
    by: str  # "seconds": measured / baseline seconds; "rate": measured / baseline per second
    target_ratio: float
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        if self.by == "seconds":
            return _quotient(self.measured.elapsed_s, self.baseline.elapsed_s)
        return _quotient(self.measured.per_second, self.baseline.per_second)

    @property
    def target(self) -> str:
        # Time taken must stay under its target; a rate must reach its target.
        return f"{'<=' if self.by == 'seconds' else '>='} {self.target_ratio:.1f}x"

    @property
    def meets_target(self) -> bool:
        if self.by == "seconds":
            return self.ratio <= self.target_ratio
        return self.ratio >= self.target_ratio


def _quotient(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else float("inf")


def figures(
    comparisons: list[Comparison], settings: dict[str, Any], duration_s: float
) -> dict[str, Any]:
    """Everything the table shows, as plain data (the JSON output)."""
    return {
        "settings": settings,
        "duration_s": round(duration_s, 1),
        "comparisons": [_comparison_figures(comparison) for comparison in comparisons],
    }


def _comparison_figures(comparison: Comparison) -> dict[str, Any]:
    return {
        "baseline": _timing_figures(comparison.baseline),
        "measured": _timing_figures(comparison.measured),
        "ratio_by": comparison.by,
        "ratio": round(comparison.ratio, 3),
        "target": comparison.target,
        "meets_target": comparison.meets_target,
        "notes": comparison.notes,
    }


def _timing_figures(timing: Timing) -> dict[str, Any]:
    return {
        "label": timing.label,
        "count": timing.count,
        "unit": timing.unit,
        "seconds": round(timing.elapsed_s, 3),
        "per_second": round(timing.per_second, 1),
    }


def render_table(report: dict[str, Any]) -> str:
    """Each baseline on the line above its figure; the ratio and target on the figure's line."""
    header = ("figure", "count", "seconds", "rate", "ratio", "target")
    body: list[tuple[str, ...]] = []
    for comparison in report["comparisons"]:
        body.append((*_timing_cells(comparison["baseline"]), "", "(baseline)"))
        verdict = "met" if comparison["meets_target"] else "MISSED"
        ratio = f"{comparison['ratio']:.2f}x"
        target = f"{comparison['target']} {verdict}"
        body.append((*_timing_cells(comparison["measured"]), ratio, target))
    table = render_grid(header, body, text_columns=(0, 5))
    notes = [note for comparison in report["comparisons"] for note in comparison["notes"]]
    notes.append(f"run took {report['duration_s']:.1f} s in all")
    return "\n".join([settings_line(report["settings"]), "", table, "", *notes])


def _timing_cells(timing: dict[str, Any]) -> tuple[str, str, str, str]:
    return (
        timing["label"],
        f"{timing['count']:,}",
        f"{timing['seconds']:.3f}",
        f"{timing['per_second']:,.0f} {timing['unit']}/s",
    )
