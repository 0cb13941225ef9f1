"""Local server processes: where they run, their environment, a free port, and one stopper."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"


# Every port free_port has handed out in this process: a server that goes down and comes back
# on its port (a Redis restart, a failover's rejoin, a receiver taken down) keeps it while it is
# down, even from a drill running side by side in another thread.
_HANDED_OUT: set[int] = set()
_HANDING_OUT = threading.Lock()


def free_port() -> int:
    """A loopback port nobody listens on now, the kernel's pick, never one this process was
    handed before."""
    with _HANDING_OUT:
        while True:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                probe.bind((HOST, 0))
                port = int(probe.getsockname()[1])
            if port not in _HANDED_OUT:
                _HANDED_OUT.add(port)
                return port


def service_env(settings: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without its BOOKINGS_ settings, and then `settings`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("BOOKINGS_")}
    env.update(settings)
    return env


def stop_processes(processes: Iterable[subprocess.Popen[bytes]], timeout_s: float) -> None:
    """SIGTERM every process still running, then wait for each; SIGKILL any that outlasts it."""
    running = [process for process in processes if process.poll() is None]
    for process in running:
        process.send_signal(signal.SIGCONT)  # a stopped process cannot act on SIGTERM
        process.terminate()
    for process in running:
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
