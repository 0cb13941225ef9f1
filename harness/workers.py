"""Real Celery worker processes, started and stopped by tests, drills and benchmarks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from api_client import BookingClient, BookingError
from api_client.redis_urls import MASTER_NAME_VARIABLE, master_name, redis_client

from .processes import REPO_ROOT, service_env, stop_processes

STOP_TIMEOUT_S = 15.0
# Celery pools whose tasks run in child processes of the worker's main process; the others
# (threads, solo, ...) run them in the main process itself and fork nothing.
FORKING_POOLS = frozenset({"prefork"})


@dataclass
class Deployment:
    """Workers and the settings they share: the same Redis database and the same SQL database."""

    redis_url: str
    database_url: str
    processes: list[subprocess.Popen[bytes]]
    log_paths: list[Path]
    pool: str = "prefork"

    def client(self, timeout_s: float = 60.0, *, subscribe_on_submit: bool = True) -> BookingClient:
        return BookingClient(
            self.redis_url, timeout_s=timeout_s, subscribe_on_submit=subscribe_on_submit
        )

    def worker_pids(self) -> list[int]:
        """Pids of the pool processes that run tasks (children of each worker's main process)."""
        pids: list[int] = []
        for process in self.processes:
            children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
            if children.exists():
                pids += [int(pid) for pid in children.read_text().split()]
        return pids

    def all_pids(self) -> list[int]:
        """Every process of the workers, main processes and pools: whose CPU time they used."""
        return [process.pid for process in self.processes] + self.worker_pids()


def worker_env(redis_url: str, database_url: str, extra: Mapping[str, str]) -> dict[str, str]:
    return service_env(
        {"BOOKINGS_REDIS_URL": redis_url, "BOOKINGS_DATABASE_URL": database_url, **extra}
    )


def worker_command(
    hostname: str, concurrency: int, pool: str = "prefork", queue: str | None = None
) -> list[str]:
    """`celery worker` with a pool of `concurrency` (prefork processes by default, or threads),
    quiet, without cluster chatter; taking from `queue` alone if one is named."""
    return [
        sys.executable, "-m", "celery", "-A", "worker", "worker",
        "--concurrency", str(concurrency), "--pool", pool,
        "--hostname", f"{hostname}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
        "--loglevel", "WARNING",
        *(["--queues", queue] if queue else []),
    ]  # fmt: skip


def beat_command(schedule: Path) -> list[str]:
    """`celery beat`, keeping its schedule's state at `schedule`."""
    return [
        sys.executable, "-m", "celery", "-A", "worker", "beat",
        "--schedule", str(schedule), "--loglevel", "WARNING",
    ]  # fmt: skip


@contextmanager
def running_workers(
    redis_url: str,
    database_url: str,
    logdir: Path,
    *,
    workers: int = 1,
    concurrency: int = 2,
    settings: Mapping[str, str] | None = None,
    flush_redis: bool = True,
    beat: bool = False,
    pool: str = "prefork",
    instance_settings: Sequence[Mapping[str, str]] = (),
) -> Iterator[Deployment]:
    """`workers` worker instances of a `pool` of `concurrency` each, ready to take tasks.

    With `beat`, `celery beat` runs the periodic schedule in a process of its own (as in
    production), so that the worker's children are its pool processes only.
    `instance_settings[i]`, when given, is added to worker i's settings: what two instances on
    one machine cannot share, such as the port each serves its metrics on.
    """
    if flush_redis:
        named = (settings or {}).get(MASTER_NAME_VARIABLE)
        redis_client(redis_url, master_name(named)).flushdb()
    processes, logs = [], []
    commands = [
        worker_command(f"w{index}-{os.getpid()}", concurrency, pool) for index in range(workers)
    ]
    if beat:
        commands.append(beat_command(logdir / f"beat-{os.getpid()}-{time.monotonic_ns()}"))
    for index, command in enumerate(commands):
        own = instance_settings[index] if index < len(instance_settings) else {}
        env = worker_env(redis_url, database_url, {**(settings or {}), **own})
        log_path = logdir / f"worker-{os.getpid()}-{index}-{time.monotonic_ns()}.log"
        with log_path.open("wb") as log_file:
            processes.append(
                subprocess.Popen(
                    command, cwd=REPO_ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT
                )
            )
        logs.append(log_path)
    deployment = Deployment(redis_url, database_url, processes, logs, pool)
    try:
        forked = concurrency * workers if pool in FORKING_POOLS else 0
        _wait_until_answering(deployment, forked)
        yield deployment
    finally:
        stop_processes(deployment.processes, STOP_TIMEOUT_S)


def _wait_until_answering(
    deployment: Deployment, pool_processes: int, timeout_s: float = 60
) -> None:
    deadline = time.monotonic() + timeout_s
    with deployment.client(timeout_s=2) as client:
        while time.monotonic() < deadline:
            for process, log_path in zip(deployment.processes, deployment.log_paths, strict=True):
                if process.poll() is not None:
                    raise RuntimeError(f"worker exited early:\n{log_path.read_text()}")
            try:
                client.ping()
            except BookingError:
                continue
            if len(deployment.worker_pids()) >= pool_processes:
                return
            time.sleep(0.1)
    logs = "\n".join(path.read_text() for path in deployment.log_paths)
    raise RuntimeError(f"workers did not answer within {timeout_s} s:\n{logs}")
