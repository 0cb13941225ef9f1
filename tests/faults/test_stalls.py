"""The drill's own safeguards: a stall leaves a snapshot of the deployment, and a fault loop
that breaks fails its run."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from .cluster import running_cluster
from .drills import Drill, FaultRun
from .runner import inject
from .stalls import snapshot

pytestmark = pytest.mark.integration


def test_a_stall_snapshot_shows_redis_the_database_and_each_workers_threads(
    tmp_path: Path,
) -> None:
    with running_cluster(tmp_path, {}) as cluster:
        worker = cluster.start_worker("w1", 1)
        text = snapshot(cluster)
        deadline = time.monotonic() + 10
        while "MainThread" not in worker.log_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert worker.alive()
    assert "queue bookings: 0 messages" in text and "cmd=brpop" in text, text
    assert "restore mutex ttl" in text and "idle" in text
    assert f"w1: {worker.process.pid} " in text
    assert "MainThread" in worker.log_path.read_text()


def test_a_fault_loop_that_breaks_is_reported_as_a_problem() -> None:
    def redis_does_not_come_back(_run: FaultRun) -> None:
        raise RuntimeError("redis-server on port 1 did not answer")

    broke: list[str] = []
    inject(Drill("broken", "none", inject=redis_does_not_come_back), None, broke)  # type: ignore[arg-type]
    assert broke == ["the fault loop broke: RuntimeError('redis-server on port 1 did not answer')"]
