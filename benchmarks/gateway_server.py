"""The gateway served by a real uvicorn process on a free local port, for as long as needed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.workers import REPO_ROOT

HOST = "127.0.0.1"
# Importing the app and its client takes a second or two; a broken server still ends the run.
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class GatewayServer:
    """Where the gateway answers, and the key it accepts."""

    base_url: str
    api_key: str


def free_port() -> int:
    """A port nobody listens on now; the kernel picks it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_gateway(redis_url: str, api_key: str, logdir: Path) -> Iterator[GatewayServer]:
    """`uvicorn gateway.app:app` with one process, answering GET /v2/openapi.json."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("BOOKINGS_")}
    env.update({"BOOKINGS_REDIS_URL": redis_url, "BOOKINGS_API_KEYS": api_key})
    command = [
        sys.executable, "-m", "uvicorn", "gateway.app:app",
        "--host", HOST, "--port", str(port), "--workers", "1", "--log-level", "warning",
    ]  # fmt: skip
    log_path = logdir / f"gateway-{port}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
    server = GatewayServer(f"http://{HOST}:{port}", api_key)
    try:
        _wait_until_answering(server, process, log_path)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_answering(
    server: GatewayServer, process: subprocess.Popen[bytes], log_path: Path
) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the gateway exited early:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{server.base_url}/v2/openapi.json", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the gateway did not answer within {START_TIMEOUT_S} s")
