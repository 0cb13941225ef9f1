"""Stopping a deployment's workers (SIGSTOP) for as long as a test needs no task to run."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness.workers import Deployment


@contextmanager
def workers_paused(deployment: Deployment) -> Iterator[None]:
    """Inside, no task of `deployment` runs; its processes continue on the way out.

    The main processes are stopped first, so that none fetches a task or starts a pool process
    while the pool is being stopped.
    """
    stopped: list[int] = []
    try:
        _stop(stopped, [process.pid for process in deployment.processes])
        _stop(stopped, deployment.worker_pids())
        yield
    finally:
        for pid in reversed(stopped):
            os.kill(pid, signal.SIGCONT)


def _stop(stopped: list[int], pids: list[int]) -> None:
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
        stopped.append(pid)
    for pid in pids:
        _wait_until_stopped(pid)


def _wait_until_stopped(pid: int, timeout_s: float = 10) -> None:
    """Return once every thread of `pid` is in the stopped state (SIGSTOP is asynchronous)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        states = [
            stat.read_text().rpartition(")")[2].split()[0]
            for stat in Path(f"/proc/{pid}/task").glob("*/stat")
        ]
        if states and all(state in ("T", "t") for state in states):
            return
        time.sleep(0.01)
    raise AssertionError(f"worker process {pid} did not stop within {timeout_s} s")
