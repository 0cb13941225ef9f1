"""The fault drills in their short form: one pass of each fault, then every record checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from .drills import DRILLS
from .runner import SHORT, DrillReport, run_drill

pytestmark = pytest.mark.integration


def drilled(name: str, tmp_path: Path) -> DrillReport:
    report = run_drill(DRILLS[name], SHORT, workdir=tmp_path)
    assert report.findings.problems == [], "\n".join(report.notes + report.findings.problems)
    # The load runs for a fixed time, so how many commands it sends depends on the machine
    # (82 on a busy one, thousands on a quiet one): that some were made is what counts here.
    assert report.findings.succeeded > 0, report.findings
    assert report.faults > 0, f"{name} injected no fault"
    assert report.findings.log_notifications > 0, "no log-channel notification was checked"
    return report


def test_a_worker_killed_mid_allocation_loses_and_doubles_nothing(tmp_path: Path) -> None:
    drilled("kill-mid-allocation", tmp_path)


def test_a_worker_stopped_past_its_lock_is_refused_by_the_database(tmp_path: Path) -> None:
    report = drilled("stale-lock", tmp_path)
    assert report.expired_locks >= 1  # the stopped worker found its lock gone
    # The database refused the seats the stale lock allowed: 409, or a place in the line.
    refused = ("answered [409]", "answered [201 waitlisted]")
    assert any(note.startswith("stale command") and note.endswith(refused)
               for note in report.notes), report.notes  # fmt: skip


def test_a_redis_restart_under_load_with_production_settings_stops_no_worker(
    tmp_path: Path,
) -> None:
    report = drilled("redis-restart", tmp_path)
    assert report.worker_exits == 0, report.notes
    assert report.findings.lost == 0 and report.findings.failed == 0


def test_a_whole_worker_killed_mid_task_has_its_messages_restored_within_the_timeout(
    tmp_path: Path,
) -> None:
    report = drilled("worker-kill", tmp_path)
    # The kill found the victim holding commands, and each was answered by the restore (its
    # caller waits out the limit before resending) within visibility timeout + sweep + slack.
    assert report.held_waits_s, report.notes
    # The only resends: commands the victim took off the queue in kombu's fetch gap (runner.py)
    assert report.findings.resent == len(report.resent_in_fetch_gap), report.notes
    assert report.answer_limit_s is not None
    assert report.longest_answer_s <= report.answer_limit_s, report.notes
    assert report.worker_exits == 0, report.notes


def test_connections_killed_mid_transaction_are_retried_and_applied_once(tmp_path: Path) -> None:
    drilled("pg-terminate", tmp_path)


def test_duplicate_deliveries_are_applied_once(tmp_path: Path) -> None:
    report = drilled("redelivery", tmp_path)
    assert report.redelivered > 0


def test_a_redis_failover_under_load_loses_and_doubles_nothing(tmp_path: Path) -> None:
    report = drilled("sentinel-failover", tmp_path)
    assert any("promoted" in note for note in report.notes), report.notes
    assert report.findings.lost == 0 and report.findings.failed == 0
    assert report.worker_exits == 0, report.notes  # no worker left on kombu's own transport


def test_two_beats_complete_and_notify_nothing_twice(tmp_path: Path) -> None:
    report = drilled("two-beats", tmp_path)
    assert report.findings.classes_completed > 0


def test_a_receiver_down_for_a_while_gets_everything_once_back(tmp_path: Path) -> None:
    report = drilled("receiver-down", tmp_path)
    assert report.findings.notifications > 0 and report.findings.undelivered == 0


def test_every_fault_together_loses_and_doubles_nothing(tmp_path: Path) -> None:
    report = drilled("all-together", tmp_path)
    injected = {note.split(":")[0] for note in report.notes if ":" in note}
    assert {"kill", "stale-lock", "redis", "postgres", "receiver"} <= injected, report.notes
