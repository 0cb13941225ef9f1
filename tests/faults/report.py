"""Drill reports as the table docs/reliability.md shows, and the load run's figures."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .runner import DrillReport

COLUMNS = (
    ("drill", 20),
    ("commands", 8),
    ("faults", 6),
    ("lost", 4),
    ("duplicated", 10),
    ("oversold", 8),
    ("mistold", 7),
    ("other", 5),
    ("resent", 6),
    ("redelivered", 11),
    ("completed", 9),
    ("webhooks", 8),
    ("repeats", 7),
    ("exits", 5),
    ("longest", 7),
    ("seconds", 7),
    ("result", 6),
)


def row_of(report: DrillReport) -> dict[str, Any]:
    found = report.findings
    other = (
        found.failed
        + found.line_accounts_off
        + found.lines_left
        + found.bad_transitions
        + found.undelivered
        + found.missing_at_receiver
    )
    return {
        "drill": report.drill,
        "commands": found.commands,
        "faults": report.faults,
        "lost": found.lost,
        "duplicated": report.duplicated,
        "oversold": found.oversold,
        "mistold": found.mistold,
        "other": other,
        "resent": found.resent,
        "redelivered": report.redelivered,
        "completed": found.classes_completed,
        "webhooks": found.notifications,
        "repeats": found.repeats_dropped,
        "exits": report.worker_exits,
        "longest": round(report.longest_answer_s, 1),
        "seconds": round(report.seconds),
        "result": "pass" if report.passed else "FAIL",
    }


def render_table(reports: Sequence[DrillReport]) -> str:
    rows = [row_of(report) for report in reports]
    header = "  ".join(name.ljust(width) for name, width in COLUMNS)
    lines = [header, "  ".join("-" * width for _, width in COLUMNS)]
    for row in rows:
        lines.append("  ".join(str(row[name]).ljust(width) for name, width in COLUMNS))
    for report in reports:
        details = [
            f"longest gap between two answers: {report.longest_gap_s:.1f} s",
            f"waitlist: {report.findings.line_activity()}",
            f"issue 12: {report.findings.timekit_activity()}",
            f"issue 14: {report.findings.class_activity()}",
            *report.notes,
            *report.findings.problems,
        ]
        if not report.answered_in_time:
            details.append(
                f"a caller waited {report.longest_answer_s:.1f} s for an answer, "
                f"over the limit of {report.answer_limit_s:g} s"
            )
        lines.append(f"\n{report.drill} ({report.fault}):")
        lines += [f"  - {detail}" for detail in details[:60]]
    lines.append(LEGEND)
    return "\n".join(lines)


def render_load(report: DrillReport) -> str:
    found = report.findings
    return "\n".join(
        [
            f"commands           {found.commands:,} ({found.succeeded:,} succeeded, "
            f"{found.refused:,} refused) over {found.classes:,} classes",
            f"load phase         {report.load_s:.1f} s: {report.per_second:.1f} commands/s",
            f"latency            p50 {report.latency_ms(50):.1f} ms, "
            f"p99 {report.latency_ms(99):.1f} ms (send to answer, per command)",
            f"lost / duplicated  {found.lost} / {report.duplicated}",
            f"oversold classes   {found.oversold}",
            f"mistold            {found.mistold}",
            f"bad transitions    {found.bad_transitions}",
            f"webhooks           {found.notifications:,} written, {found.undelivered} undelivered, "
            f"{found.missing_at_receiver} missing, {found.repeats_dropped} repeats dropped",
            f"classes completed  {found.classes_completed}",
            f"waitlist           {found.line_activity()}",
            f"issue 12           {found.timekit_activity()}",
            f"issue 14           {found.class_activity()}",
            f"run took           {report.seconds:.0f} s in all",
            f"result             {'pass' if report.passed else 'FAIL'}",
            *[f"  - {problem}" for problem in found.problems[:20]],
        ]
    )


def as_json(reports: Sequence[DrillReport]) -> str:
    return json.dumps(
        [
            {
                **row_of(r),
                "longest_gap_s": round(r.longest_gap_s, 1),
                "waitlist": dict(r.findings.actions),
                "issue_12": {
                    "deleted": r.findings.deleted,
                    "widget_bookings": r.findings.widget_bookings,
                    "link_cancels": r.findings.link_cancels,
                },
                "notes": r.notes,
                "problems": r.findings.problems,
            }
            for r in reports
        ],
        indent=2,
    )


LEGEND = """
lost: commands never answered; duplicated: bookings or keys applied more often than callers were
told, classes completed twice, entries promoted twice, notices written twice; oversold: classes
holding more seats (taken and offered) than they have; mistold: answers that differ from what the
database recorded; other: worker failures, seat counts off, lines the sweep left open or free
seats an automatic line did not get, transitions outside the graphs, notifications undelivered
or missing at the receiver; resent: commands a caller sent again under the same key (timeouts,
Redis away); redelivered: messages a worker got a second time; repeats: webhooks the receiver got
again for an id it had (dropped by id); exits: worker instances that exited on their own (started
again by the supervisor; a drill's own kills not counted); longest: the longest a caller waited
for its answer, in seconds, resends included."""
