"""The drill's deployment: its own Redis, a PostgreSQL database, named workers and beats.

Each worker instance is a `celery worker` main process with its pool processes; a drill can
start, SIGKILL, SIGSTOP or SIGCONT any of them, and start more beats than one.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from api_client import BookingClient, BookingError
from api_client.contract.tasks import QUEUE
from harness.databases import fresh_database
from harness.processes import REPO_ROOT, stop_processes
from harness.redis_servers import RedisServer, own_redis
from harness.sentinels import SentinelGroup, own_sentinel_group
from harness.workers import worker_command, worker_env

SUPERVISE_EVERY_S = 0.5
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class WorkerSpec:
    """A worker instance to start: its name, pool size and settings over the cluster's."""

    name: str
    concurrency: int = 2
    settings: Mapping[str, str] | None = None
    queue: str | None = None  # the one queue it takes from, if not the one every worker does


@dataclass
class Instance:
    """One started process (a worker's main process, or a beat) and where it logs."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    command: list[str] = field(default_factory=list, repr=False)
    env: dict[str, str] = field(default_factory=dict, repr=False)

    def pool_pids(self) -> list[int]:
        """The pool processes that run tasks (children of the main process)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if not children.exists():
            return []
        return [int(pid) for pid in children.read_text().split()]

    def alive(self) -> bool:
        return self.process.poll() is None


@dataclass
class Cluster:
    """Redis, the database and every worker and beat the drill started."""

    redis: RedisServer
    database_url: str
    workdir: Path
    settings: dict[str, str]
    instances: dict[str, Instance] = field(default_factory=dict)
    # The sentinels watching Redis and its replica, when the drill fails Redis over; then
    # `redis` is the first master, and every process is given the sentinels' URL.
    sentinels: SentinelGroup | None = None
    # Restarts of processes that exited on their own, as a supervisor (systemd, Compose's
    # restart policy) would: a Celery worker can exit on a broker error it cannot recover from.
    restarts: list[str] = field(default_factory=list)
    worker_exits: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def redis_url(self) -> str:
        if self.sentinels is not None:
            return self.sentinels.url(0)
        return self.redis.url(0)

    def client(self, timeout_s: float = 30.0, queue: str = QUEUE) -> BookingClient:
        return BookingClient(self.redis_url, timeout_s=timeout_s, queue=queue)

    def start_worker(
        self, name: str, concurrency: int = 2, settings: Mapping[str, str] | None = None
    ) -> Instance:
        [instance] = self.start_workers([WorkerSpec(name, concurrency, settings)])
        return instance

    def start_workers(self, specs: list[WorkerSpec]) -> list[Instance]:
        """Start every worker at once, then wait for each pool: their start-ups overlap."""
        instances = [
            self._start(spec.name,
                        worker_command(f"{spec.name}-{os.getpid()}", spec.concurrency,
                                       queue=spec.queue),
                        spec.settings)
            for spec in specs
        ]  # fmt: skip
        for instance, spec in zip(instances, specs, strict=True):
            self._wait_for_pool(instance, spec.concurrency)
        return instances

    def start_beat(self, name: str) -> Instance:
        schedule = self.workdir / f"{name}.schedule"
        command = [
            sys.executable, "-m", "celery", "-A", "worker", "beat",
            "--schedule", str(schedule), "--loglevel", "WARNING",
        ]  # fmt: skip
        return self._start(name, command, None)

    def stop(self, name: str) -> None:
        with self._lock:
            instance = self.instances.pop(name)
        stop_processes([instance.process], STOP_TIMEOUT_S)

    def kill(self, name: str) -> int:
        """SIGKILL a whole worker instance, main process first (so that it cannot hand back
        what its pool held), then its pool; not started again. Processes killed."""
        with self._lock:
            instance = self.instances.pop(name)
        pool = instance.pool_pids()
        instance.process.kill()
        instance.process.wait()
        for pid in pool:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return 1 + len(pool)

    def supervise(self, stopping: threading.Event) -> None:
        """Start again every process that exited without being stopped, until `stopping`."""
        while not stopping.wait(SUPERVISE_EVERY_S):
            with self._lock:
                for name, instance in list(self.instances.items()):
                    if instance.alive():
                        continue
                    self.restarts.append(f"{name} exited with {instance.process.returncode}")
                    self.worker_exits += not name.startswith("beat")
                    self.instances[name] = self._launch(name, instance.command, instance.env)

    def stop_all(self) -> None:
        """Stop every process at once: each warm shutdown takes a second or two, and they
        overlap."""
        with self._lock:
            stopping = list(self.instances.values())
            self.instances.clear()
        stop_processes([instance.process for instance in stopping], STOP_TIMEOUT_S)

    def workers(self) -> list[Instance]:
        return [i for n, i in self.instances.items() if not n.startswith("beat")]

    def pool_pids(self) -> list[int]:
        return [pid for instance in self.workers() for pid in instance.pool_pids()]

    def logs(self) -> str:
        return "\n".join(
            f"--- {i.name}\n{i.log_path.read_text(errors='replace')[-4000:]}"
            for i in self.instances.values()
        )

    def _start(self, name: str, command: list[str], settings: Mapping[str, str] | None) -> Instance:
        env = worker_env(self.redis_url, self.database_url, {**self.settings, **(settings or {})})
        with self._lock:
            instance = self._launch(name, command, env)
            self.instances[name] = instance
        return instance

    def _launch(self, name: str, command: list[str], env: dict[str, str]) -> Instance:
        log_path = self.workdir / f"{name}.log"
        with log_path.open("ab") as log_file:
            process = subprocess.Popen(
                command, cwd=REPO_ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT
            )
        return Instance(name, process, log_path, command, env)

    def _wait_for_pool(self, instance: Instance, concurrency: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        with self.client(timeout_s=2) as client:
            while time.monotonic() < deadline:
                if not instance.alive():
                    raise RuntimeError(f"{instance.name} exited:\n{instance.log_path.read_text()}")
                if len(instance.pool_pids()) >= concurrency:
                    try:
                        client.ping()
                        return
                    except BookingError:
                        pass
                time.sleep(0.1)
        raise RuntimeError(f"{instance.name} did not start:\n{instance.log_path.read_text()}")


@contextmanager
def running_cluster(
    workdir: Path, settings: Mapping[str, str], sentinel: bool = False
) -> Iterator[Cluster]:
    """A persistent Redis of its own (with `sentinel`, a master, a replica and three sentinels)
    and a fresh PostgreSQL database; no workers yet."""
    with ExitStack() as stack:
        group = None
        if sentinel:
            group = stack.enter_context(own_sentinel_group(workdir / "redis"))
            redis_server = group.servers[0]
            settings = {**settings, "BOOKINGS_REDIS_MASTER_NAME": group.master_name}
        else:
            redis_server = stack.enter_context(own_redis(workdir / "redis"))
        database_url = stack.enter_context(fresh_database("postgresql", workdir))
        cluster = Cluster(redis_server, database_url, workdir, dict(settings), sentinels=group)
        stack.callback(cluster.stop_all)
        stopping = threading.Event()
        supervisor = threading.Thread(target=cluster.supervise, args=(stopping,), daemon=True)
        supervisor.start()
        stack.callback(supervisor.join)
        stack.callback(stopping.set)
        yield cluster
