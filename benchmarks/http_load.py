"""The load of load.py over HTTP: client processes keeping requests in flight to the gateway."""

from __future__ import annotations

import asyncio
import time
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

import httpx

from harness.gateways import GatewayServer

from .load import (
    BARRIER_TIMEOUT_S,
    RESULT_TIMEOUT_S,
    ClientRun,
    LoadShape,
    Measurement,
    run_clients,
)
from .workloads import seat_request

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
