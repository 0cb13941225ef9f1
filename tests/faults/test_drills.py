"""The fault drills in their short form: one pass of each fault, then every record checked.

The drills run side by side, SIDE_BY_SIDE at a time, from the module's first test on: each has
its own Redis server (or sentinel group), PostgreSQL database, receiver, ports and folder, so
they share nothing but the machine; and most of a drill's time is spent waiting (for workers
to start, a timeout to run out, the outbox to drain), not computing. Each test then checks
its own drill's report, as when the drills ran one after another.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from .drills import DRILLS
from .runner import SHORT, DrillReport, run_drill

pytestmark = pytest.mark.integration

SIDE_BY_SIDE = 2
# Each test's drill, longest first (as measured), so that the last to finish are short ones.
DRILL_OF = {
    "test_a_redis_failover_under_load_loses_and_doubles_nothing": "sentinel-failover",
    "test_connections_killed_mid_transaction_are_retried_and_applied_once": "pg-terminate",
    "test_every_fault_together_loses_and_doubles_nothing": "all-together",
    "test_two_beats_complete_and_notify_nothing_twice": "two-beats",
    "test_a_redis_restart_under_load_with_production_settings_stops_no_worker": "redis-restart",
    "test_a_receiver_down_for_a_while_gets_everything_once_back": "receiver-down",
    "test_duplicate_deliveries_are_applied_once": "redelivery",
    "test_a_worker_killed_mid_allocation_loses_and_doubles_nothing": "kill-mid-allocation",
    "test_a_whole_worker_killed_mid_task_has_its_messages_restored_within_the_timeout": (
        "worker-kill"
    ),
    "test_a_worker_stopped_past_its_lock_is_refused_by_the_database": "stale-lock",
}


@pytest.fixture(scope="module")
def drill_runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Future[DrillReport]]]:
    """The drills of the tests selected in this module, started side by side: by drill name,
    each one's report to come."""
    selected = {
        item.originalname
        for item in request.session.items
        if isinstance(item, pytest.Function) and item.module is request.module
    }
    names = [name for test, name in DRILL_OF.items() if test in selected]
    with ThreadPoolExecutor(SIDE_BY_SIDE, thread_name_prefix="drill") as pool:
        runs = {
            name: pool.submit(run_drill, DRILLS[name], SHORT, workdir=tmp_path_factory.mktemp(name))
            for name in names
        }
        try:
            yield runs
        finally:
            for run in runs.values():
                run.cancel()  # those not started yet, if the session is cut short


@pytest.fixture
def report(
    request: pytest.FixtureRequest, drill_runs: dict[str, Future[DrillReport]]
) -> DrillReport:
    """The report of this test's drill, once it has run; every drill's own checks passed."""
    name = DRILL_OF[request.node.originalname]
    report = drill_runs[name].result()
    assert report.findings.problems == [], "\n".join(report.notes + report.findings.problems)
    # The load runs for a fixed time, so how many commands it sends depends on the machine
    # (82 on a busy one, thousands on a quiet one): that some were made is what counts here.
    assert report.findings.succeeded > 0, report.findings
    assert report.faults > 0, f"{name} injected no fault"
    assert report.findings.log_notifications > 0, "no log-channel notification was checked"
    return report


def test_a_worker_killed_mid_allocation_loses_and_doubles_nothing(report: DrillReport) -> None:
    assert report.drill == "kill-mid-allocation"


def test_a_worker_stopped_past_its_lock_is_refused_by_the_database(report: DrillReport) -> None:
    assert report.expired_locks >= 1  # the stopped worker found its lock gone
    # The database refused the seats the stale lock allowed (the drill's class, which no
    # caller touches, has no line to offer instead).
    stale = [note for note in report.notes if note.startswith("stale command")]
    assert stale and all(note.endswith("answered [409]") for note in stale), report.notes


def test_a_redis_restart_under_load_with_production_settings_stops_no_worker(
    report: DrillReport,
) -> None:
    assert report.worker_exits == 0, report.notes
    assert report.findings.lost == 0 and report.findings.failed == 0


def test_a_whole_worker_killed_mid_task_has_its_messages_restored_within_the_timeout(
    report: DrillReport,
) -> None:
    # The kill found the victim holding commands, and each was answered by the restore (its
    # caller waits out the limit before resending) within visibility timeout + sweep + slack.
    assert report.held_waits_s, report.notes
    # The only resends: commands the victim took off the queue in kombu's fetch gap (runner.py)
    assert report.findings.resent == len(report.resent_in_fetch_gap), report.notes
    assert report.answer_limit_s is not None
    assert report.longest_answer_s <= report.answer_limit_s, report.notes
    assert report.worker_exits == 0, report.notes


def test_connections_killed_mid_transaction_are_retried_and_applied_once(
    report: DrillReport,
) -> None:
    assert report.drill == "pg-terminate"


def test_duplicate_deliveries_are_applied_once(report: DrillReport) -> None:
    assert report.redelivered > 0


def test_a_redis_failover_under_load_loses_and_doubles_nothing(report: DrillReport) -> None:
    assert any("promoted" in note for note in report.notes), report.notes
    assert report.findings.lost == 0 and report.findings.failed == 0
    assert report.worker_exits == 0, report.notes  # no worker left on kombu's own transport


def test_two_beats_complete_and_notify_nothing_twice(report: DrillReport) -> None:
    assert report.findings.classes_completed > 0


def test_a_receiver_down_for_a_while_gets_everything_once_back(report: DrillReport) -> None:
    assert report.findings.notifications > 0 and report.findings.undelivered == 0


def test_every_fault_together_loses_and_doubles_nothing(report: DrillReport) -> None:
    injected = {note.split(":")[0] for note in report.notes if ":" in note}
    assert {"kill", "stale-lock", "redis", "postgres", "receiver"} <= injected, report.notes
