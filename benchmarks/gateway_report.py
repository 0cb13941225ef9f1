"""The gateway table: seat bookings through api_client, then through HTTP, and their ratio."""

from __future__ import annotations

from typing import Any

from .load import Measurement
from .report import render_grid, settings_line

# The HTTP layer may cost at most a fifth of what the workers can book through the client.
TARGET_RATIO = 0.8


def figures(
    direct: Measurement, gateway: Measurement, settings: dict[str, Any], duration_s: float
) -> dict[str, Any]:
    """Everything the table shows, as plain data (the JSON output)."""
    ratio = gateway.per_second / direct.per_second if direct.per_second > 0 else 0.0
    return {
        "settings": settings,
        "duration_s": round(duration_s, 1),
        "rows": [
            _row("api_client direct (baseline)", direct, None),
            _row("gateway POST /v2/bookings", gateway, ratio),
        ],
        "ratio": round(ratio, 3),
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio >= TARGET_RATIO,
    }


def _row(label: str, measured: Measurement, ratio: float | None) -> dict[str, Any]:
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


def render_table(report: dict[str, Any]) -> str:
    """The baseline above the gateway; the ratio and target on the gateway's line."""
    header = ("path", "bookings", "throughput", "ratio", "target", "p50 ms", "p99 ms", "errors")
    verdict = "met" if report["meets_target"] else "MISSED"
    target = f">= {report['target_ratio']:.1f}x {verdict}"
    body = [_cells(row, target) for row in report["rows"]]
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


def _cells(row: dict[str, Any], target: str) -> tuple[str, ...]:
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
