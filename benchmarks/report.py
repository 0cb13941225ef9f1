"""The figures of every benchmark command, as a plain-text table or as JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Collection, Sequence
from typing import Any

from .load import Comparison, Measurement, SeriesRun, Timing


def render_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2)


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


def _line(cells: Sequence[str], widths: list[int], text_columns: Collection[int]) -> str:
    # Text columns read left to right; figures line up on the right.
    return "  ".join(
        cell.ljust(width) if column in text_columns else cell.rjust(width)
        for column, (cell, width) in enumerate(zip(cells, widths, strict=True))
    ).rstrip()


# python -m benchmarks.gateway ---------------------------------------------------------------------

# The HTTP layer may cost at most a fifth of what the workers can book through the client.
GATEWAY_TARGET_RATIO = 0.8


def gateway_figures(
    direct: Measurement, gateway: Measurement, settings: dict[str, Any], duration_s: float
) -> dict[str, Any]:
    """Everything the table shows, as plain data (the JSON output)."""
    ratio = gateway.per_second / direct.per_second if direct.per_second > 0 else 0.0
    return {
        "settings": settings,
        "duration_s": round(duration_s, 1),
        "rows": [
            _gateway_row("api_client direct (baseline)", direct, None),
            _gateway_row("gateway POST /v2/bookings", gateway, ratio),
        ],
        "ratio": round(ratio, 3),
        "target_ratio": GATEWAY_TARGET_RATIO,
        "meets_target": ratio >= GATEWAY_TARGET_RATIO,
    }


def _gateway_row(label: str, measured: Measurement, ratio: float | None) -> dict[str, Any]:
    return {
        "path": label,
        "per_second": round(measured.per_second, 1),
        "ratio_to_direct": None if ratio is None else round(ratio, 3),
        "p50_ms": round(measured.percentile_ms(50), 2),
        "p99_ms": round(measured.percentile_ms(99), 2),
        "completed": measured.completed,
        "errors": measured.errors,
        "first_error": measured.first_error,
        "elapsed_s": round(measured.elapsed_s, 2),
    }


def render_gateway_table(report: dict[str, Any]) -> str:
    """The baseline above the gateway; the ratio and target on the gateway's line."""
    header = ("path", "bookings", "throughput", "ratio", "target", "p50 ms", "p99 ms", "errors")
    verdict = "met" if report["meets_target"] else "MISSED"
    target = f">= {report['target_ratio']:.1f}x {verdict}"
    body = [_gateway_cells(row, target) for row in report["rows"]]
    table = render_grid(header, body, text_columns=(0, 4))
    notes = [
        "ratio = gateway bookings/s / api_client bookings/s, same load shape and request count",
        "latency: client, enqueue to result; gateway, request sent to its 201 received",
        "order: rounds taking turns, client then gateway, each warmed up (uncounted) then measured",
        f"run took {report['duration_s']:.1f} s in all",
    ]
    notes += [f"first error, {row['path']}: {row['first_error']}" for row in report["rows"]]
    notes = [note for note in notes if not note.endswith(": None")]
    return "\n".join([settings_line(report["settings"]), "", table, "", *notes])


def _gateway_cells(row: dict[str, Any], target: str) -> tuple[str, ...]:
    ratio = row["ratio_to_direct"]
    return (
        row["path"],
        f"{row['completed']:,}",
        f"{row['per_second']:,.1f} bookings/s",
        "-" if ratio is None else f"{ratio:.2f}x",
        "(baseline)" if ratio is None else target,
        f"{row['p50_ms']:.1f}",
        f"{row['p99_ms']:.1f}",
        str(row["errors"]),
    )


# python -m benchmarks.lifecycle -------------------------------------------------------------------


def lifecycle_figures(
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


def render_lifecycle_table(report: dict[str, Any]) -> str:
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


# python -m benchmarks.waitlist --------------------------------------------------------------------

# The same shape as lifecycle's: the baseline on the line above its figure, ratio and target.
waitlist_figures = lifecycle_figures
render_waitlist_table = render_lifecycle_table

# python -m benchmarks.series ----------------------------------------------------------------------

# The goal: a season in one command at least 20x faster than the single commands of an
# import script, which sends one and waits for its answer before the next.
TARGET_SPEEDUP = 20.0


def series_figures(run: SeriesRun, settings: dict[str, Any], duration_s: float) -> dict[str, Any]:
    """Everything the table shows, as plain data (the JSON output)."""
    return {
        "settings": settings,
        "duration_s": round(duration_s, 1),
        "series": _series_timing_figures(run.series),
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
        **_series_timing_figures(baseline),
        "series_speedup": round(ratio, 2),
        "target_speedup": target,
        "meets_target": None if target is None else ratio >= target,
    }


def _series_timing_figures(timing: Timing) -> dict[str, Any]:
    return {
        "label": timing.label,
        "classes": timing.count,
        "seconds": round(timing.elapsed_s, 3),
        "classes_per_second": round(timing.per_second, 1),
    }


def render_series_table(report: dict[str, Any]) -> str:
    """The baselines first, the series last; the speed-up on each baseline's line."""
    header = ("figure", "classes", "seconds", "rate", "series speed-up", "target")
    body = [
        (*_series_cells(row), f"{row['series_speedup']:.2f}x", _series_target(row))
        for row in report["baselines"]
    ]
    body.append((*_series_cells(report["series"]), "-", "(measured)"))
    table = render_grid(header, body, text_columns=(0, 5))
    notes = [
        f"target: {report['target']}, the issue's baseline (each awaited in turn);",
        "  the pipelined singles (all submitted, then all collected) are context only",
        "speed-up = baseline seconds / series seconds, the same classes each way",
        "order: warm-up (uncounted), sequential, pipelined, then the series on the fullest tables",
        f"run took {report['duration_s']:.1f} s in all",
    ]
    return "\n".join([settings_line(report["settings"]), "", table, "", *notes])


def _series_cells(row: dict[str, Any]) -> tuple[str, str, str, str]:
    return (
        row["label"],
        f"{row['classes']:,}",
        f"{row['seconds']:.3f}",
        f"{row['classes_per_second']:,.0f} classes/s",
    )


def _series_target(row: dict[str, Any]) -> str:
    if row["target_speedup"] is None:
        return "- (context)"
    verdict = "met" if row["meets_target"] else "MISSED"
    return f">= {row['target_speedup']:.0f}x {verdict}"
