"""Local server processes: where they run, their environment, a free port, and one stopper."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"


def free_port() -> int:
    """A loopback port nobody listens on now; the kernel picks it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


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
