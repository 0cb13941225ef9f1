"""A Redis server of a drill's or test's own, with AOF persistence, on a free loopback port."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import redis

from .processes import free_port, stop_processes

START_TIMEOUT_S = 20.0
# A clean shutdown writes what Redis holds; past this, it is killed.
STOP_TIMEOUT_S = 30.0


@dataclass
class RedisServer:
    """One redis-server process whose data survives a restart (appendfsync always)."""

    port: int
    directory: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    restarts: int = 0
    # More redis-server options, e.g. ("--replicaof", host, port) for a replica.
    extra_args: tuple[str, ...] = ()

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        command = [
            executable, "--bind", "127.0.0.1", "--port", str(self.port),
            "--dir", str(self.directory), "--appendonly", "yes", "--appendfsync", "always",
            "--save", "", "--logfile", str(self.directory / "redis.log"), *self.extra_args,
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        self._wait_until_answering()

    def stop(self) -> None:
        """A clean shutdown (SIGTERM): Redis writes what it has and exits."""
        if self.process is not None:
            stop_processes([self.process], STOP_TIMEOUT_S)
        self.process = None

    def kill(self) -> None:
        """SIGKILL: gone at once, with whatever it had not yet sent to its replicas."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self, down_s: float = 0.0) -> None:
        """Stop, stay down for `down_s`, start again on the same port from the same files."""
        self.stop()
        time.sleep(down_s)
        self.start()
        self.restarts += 1

    def _wait_until_answering(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        probe = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1)
        try:
            while time.monotonic() < deadline:
                try:
                    # Loading the AOF answers LOADING errors until done.
                    if probe.ping():
                        return
                except redis.exceptions.RedisError:
                    time.sleep(0.05)
        finally:
            probe.close()
        raise RuntimeError(f"redis-server on port {self.port} did not answer")


@contextmanager
def own_redis(directory: Path) -> Iterator[RedisServer]:
    """A fresh persistent Redis in `directory`, stopped afterwards."""
    directory.mkdir(parents=True, exist_ok=True)
    server = RedisServer(free_port(), directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()
