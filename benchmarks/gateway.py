"""`python -m benchmarks.gateway`: seat bookings through the HTTP gateway vs api_client direct."""

from __future__ import annotations

import asyncio
import secrets
import sys
import tempfile
import time
from collections.abc import Sequence
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import httpx
import redis

from harness.databases import fresh_database
from harness.gateways import GatewayServer, running_gateway
from harness.redis_databases import redis_url
from harness.workers import running_workers

from .load import (
    BARRIER_TIMEOUT_S,
    RESULT_TIMEOUT_S,
    ClientRun,
    LoadShape,
    Measurement,
    Workload,
    create_classes,
    measure,
    merged,
    run_clients,
    seat_request,
)
from .options import GatewayOptions, gateway_shape, parse_gateway_options
from .report import gateway_figures, progress, render_gateway_table, render_json


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_gateway_options(argv)
    started = time.monotonic()
    api_key = secrets.token_urlsafe(24)
    shape = gateway_shape(options)
    # The command's own database: running_workers empties it before the workers start.
    url = redis_url("benchmark-gateway")
    with tempfile.TemporaryDirectory(prefix="gb-gateway-") as workdir:
        try:
            with (
                fresh_database("postgresql", Path(workdir)) as database_url,
                running_workers(
                    url,
                    database_url,
                    Path(workdir),
                    workers=1,
                    concurrency=options.concurrency,
                    settings={"BOOKINGS_NOTIFICATION_CHANNELS": ""},
                ) as deployment,
                running_gateway(url, api_key, Path(workdir)) as server,
            ):
                progress(f"workers and gateway answering after {time.monotonic() - started:.1f} s")
                with deployment.client() as client:
                    classes = create_classes(client, options.classes)
                workload = Workload("seat bookings", "bookings", classes)
                directs, gateways = [], []
                # Rounds take turns, so that the machine's drift in speed (other tenants,
                # caches, the database growing) falls on both paths alike.
                for round_number in range(1, options.rounds + 1):
                    progress(f"round {round_number}/{options.rounds}: api_client direct ...")
                    directs.append(measure(url, workload, shape))
                    progress(f"  {directs[-1].per_second:.1f} bookings/s; the gateway ...")
                    gateways.append(measure_gateway(server, classes, shape))
                    progress(f"  {gateways[-1].per_second:.1f} bookings/s")
                direct, gateway = merged(directs), merged(gateways)
        finally:
            redis.Redis.from_url(url).flushdb()  # the results of thousands of tasks
    report = gateway_figures(direct, gateway, settings_of(options), time.monotonic() - started)
    print(render_json(report) if options.json else render_gateway_table(report))
    return 0


def settings_of(options: GatewayOptions) -> dict[str, Any]:
    shape = gateway_shape(options)
    return {
        "database": "postgresql",
        "workers": 1,
        "concurrency": options.concurrency,
        "gateway": "uvicorn --workers 1",
        "client_processes": shape.clients,
        "in_flight_per_process": shape.in_flight,
        "requests_per_path": shape.requests_per_client * shape.clients * options.rounds,
        "warmup_per_path": shape.warmup_per_client * shape.clients * options.rounds,
        "rounds": options.rounds,
        "classes": options.classes,
        "notifications": "none",
        "mode": "quick" if options.quick else "full",
    }


# The load of load.py over HTTP: client processes keeping requests in flight to the gateway.

CREATED = 201


def measure_gateway(
    server: GatewayServer, classes: tuple[str, ...], shape: LoadShape
) -> Measurement:
    """Seat bookings by POST /v2/bookings, counting 201s, in the shape benchmarks.run uses."""
    return run_clients(_client_main, (server, classes, shape), shape.clients)


def _client_main(
    server: GatewayServer,
    classes: tuple[str, ...],
    shape: LoadShape,
    index: int,
    barrier: Barrier,
    results: Queue[ClientRun | str],
) -> None:
    try:
        results.put(asyncio.run(_client(server, classes, shape, index, barrier)))
    except Exception as error:
        barrier.abort()  # the other clients stop waiting for this one
        results.put(f"client {index} failed: {error!r}")


async def _client(
    server: GatewayServer, classes: tuple[str, ...], shape: LoadShape, index: int, barrier: Barrier
) -> ClientRun:
    """Warm up, wait for every other client, then the measured requests on the same connections."""
    limits = httpx.Limits(max_connections=shape.in_flight)
    async with httpx.AsyncClient(
        base_url=server.base_url,
        auth=("", server.api_key),
        timeout=RESULT_TIMEOUT_S,
        limits=limits,
    ) as http:
        await _window(http, classes, shape, index, 0, shape.warmup_per_client)
        await asyncio.to_thread(barrier.wait, BARRIER_TIMEOUT_S)
        first = shape.warmup_per_client
        return await _window(http, classes, shape, index, first, shape.requests_per_client)


async def _window(
    http: httpx.AsyncClient,
    classes: tuple[str, ...],
    shape: LoadShape,
    index: int,
    first: int,
    count: int,
) -> ClientRun:
    """`count` requests, `shape.in_flight` senders each sending its next as soon as one answers."""
    run = ClientRun(time.monotonic(), 0.0, [], [])
    sequences = iter(range(first, first + count))

    async def sender() -> None:
        for sequence in sequences:
            await _book(http, seat_request(classes, index, shape.clients, sequence), run)

    await asyncio.gather(*(sender() for _ in range(min(shape.in_flight, max(count, 1)))))
    run.finished = time.monotonic()
    return run


async def _book(http: httpx.AsyncClient, body: dict[str, object], run: ClientRun) -> None:
    sent_at = time.monotonic()
    try:
        response = await http.post("/v2/bookings", json=body)
    except httpx.HTTPError as error:
        run.errors.append(f"{type(error).__name__}: {error}")
        return
    if response.status_code != CREATED:
        run.errors.append(f"HTTP {response.status_code}: {response.text[:200]}")
        return
    run.latencies_s.append(time.monotonic() - sent_at)


if __name__ == "__main__":
    sys.exit(main())
