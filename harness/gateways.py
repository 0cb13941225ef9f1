"""The gateway served by a real uvicorn process on a free local port, for as long as needed."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from .processes import HOST, REPO_ROOT, free_port, service_env, stop_processes

# Importing the app and its client takes a second or two; a broken server still ends the run.
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class GatewayServer:
    """Where the gateway answers, and the key it accepts."""

    base_url: str
    api_key: str
    log_path: Path


@contextmanager
def running_gateway(
    redis_url: str,
    api_key: str,
    logdir: Path,
    settings: Mapping[str, str] | None = None,
    log_level: str = "warning",
) -> Iterator[GatewayServer]:
    """`uvicorn gateway.app:app` with one process, answering GET /v2/openapi.json; `settings`
    are more BOOKINGS_ variables (BOOKINGS_REDIS_MASTER_NAME, BOOKINGS_WAIT_S); its output
    goes to `logdir`/gateway-<port>.log, the path in `log_path`."""
    port = free_port()
    env = service_env(
        {"BOOKINGS_REDIS_URL": redis_url, "BOOKINGS_API_KEYS": api_key, **(settings or {})}
    )
    command = [
        sys.executable, "-m", "uvicorn", "gateway.app:app",
        "--host", HOST, "--port", str(port), "--workers", "1", "--log-level", log_level,
    ]  # fmt: skip
    log_path = logdir / f"gateway-{port}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
    server = GatewayServer(f"http://{HOST}:{port}", api_key, log_path)
    try:
        _wait_until_answering(server, process, log_path)
        yield server
    finally:
        stop_processes([process], STOP_TIMEOUT_S)


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
