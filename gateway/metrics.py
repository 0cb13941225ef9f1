"""The gateway's request metrics, served on BOOKINGS_METRICS_PORT (not installed unless set).

On a port of their own rather than at /metrics beside the API: the API port faces the
internet (booking.js calls it from customers' browsers), the metrics port only Prometheus.
One gateway process per port: run more processes as more containers, each with its own.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Histogram

# Every interface: Prometheus scrapes a container from beside it, not from its loopback.
LISTEN_ON = "0.0.0.0"
# A command's request waits up to BOOKINGS_WAIT_S (10 s) and a widget's up to
# BOOKINGS_WIDGET_WAIT_S (20 s) for the worker; reads answer in milliseconds.
SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0)
# The route of a request that matched none: its path is not a label, or a scanner probing
# random paths would make a series of each.
UNMATCHED = "unmatched"


class RequestFigures:
    """The gateway's metrics, in a registry of their own (one per app)."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry: CollectorRegistry = CollectorRegistry()
        self.requests: Counter = Counter(
            "bookings_gateway_requests",
            "Requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency: Histogram = Histogram(
            "bookings_gateway_request_seconds",
            "Time from a request's arrival to the end of its answer, by method and route",
            ["method", "route"],
            buckets=SECONDS_BUCKETS,
            registry=self.registry,
        )


class RequestMetricsMiddleware:
    """Counts and times every HTTP request; outermost, so it sees CORS refusals too."""

    def __init__(self, app: ASGIApp, figures: RequestFigures) -> None:
        self.app = app
        self.figures = figures

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless a response starts: an error no handler answered

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting_status)
        finally:
            # The router sets the matched route in the scope: its template, not the path.
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            method = scope["method"]
            self.figures.requests.labels(method, route, str(status)).inc()
            self.figures.latency.labels(method, route).observe(time.perf_counter() - started)


def install(app: FastAPI, port: int | None) -> RequestFigures | None:
    """With a port: the middleware, and the figures it records (for `serving`)."""
    if port is None:
        return None
    figures = RequestFigures()
    app.add_middleware(RequestMetricsMiddleware, figures=figures)
    return figures


@asynccontextmanager
async def serving(figures: RequestFigures | None, port: int | None) -> AsyncIterator[None]:
    """The figures served at http://<host>:<port>/metrics for the block (nothing without)."""
    if figures is None or port is None:
        yield
        return
    from prometheus_client import start_http_server

    try:
        server, thread = start_http_server(port, LISTEN_ON, registry=figures.registry)
    except OSError as error:
        raise RuntimeError(f"cannot serve metrics on port {port}: {error}") from None
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
