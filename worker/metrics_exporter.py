"""Serving a worker instance's metrics: one HTTP exporter in its main process, over the files
its pool processes write (prometheus_client's multiprocess mode), plus the outbox backlog."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import metrics
from .config import Settings
from .runtime import current_runtime
from .storage.outbox_queries import pending_by_channel

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

log = logging.getLogger(__name__)
MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# Every interface: Prometheus scrapes a container from beside it, not from its loopback.
LISTEN_ON = "0.0.0.0"
TEMPORARY_PREFIX = "bookings-metrics-"


def start_exporting(settings: Settings) -> Path:
    """In the worker's main process, before it forks its pool: an emptied directory of this
    instance's own for the pool's figures, recording on, and /metrics served on the port."""
    assert settings.metrics_port is not None
    directory = instance_directory(settings.metrics_dir, settings.metrics_port)
    # Inherited by the pool processes forked after this.
    os.environ[MULTIPROC_VARIABLE] = str(directory)
    from prometheus_client import start_http_server, values

    # prometheus_client picks file-backed values when first imported with the variable set;
    # it may have been imported before it was (Flower, installed beside the worker, adds
    # `celery flower` to every celery command, and its module imports prometheus_client), so
    # pick again, as prometheus_client's own tests do, before the first metric is made.
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
    metrics.start_recording()
    try:
        start_http_server(settings.metrics_port, LISTEN_ON, registry=_registry(directory))
    except OSError as error:
        raise SystemExit(f"cannot serve metrics on port {settings.metrics_port}: {error}") from None
    log.info("metrics on port %d from %s", settings.metrics_port, directory)
    return directory


def stop_exporting() -> None:
    """At the main process's exit: a temporary directory goes with it (a named one is left
    for whoever looks, and emptied by the next start)."""
    directory = Path(os.environ.get(MULTIPROC_VARIABLE, ""))
    if directory.name.startswith(TEMPORARY_PREFIX):
        shutil.rmtree(directory, ignore_errors=True)


def instance_directory(parent: str | None, port: int) -> Path:
    """<parent>/worker-<port>, emptied of a previous run's files (two instances on one machine
    serve different ports, so never share it); without a parent, a fresh temporary directory."""
    if parent is None:
        return Path(tempfile.mkdtemp(prefix=f"{TEMPORARY_PREFIX}{port}-"))
    directory = Path(parent) / f"worker-{port}"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    return directory


def process_exited(pid: int) -> None:
    """A pool process leaving: its live gauges go with it (counters and histograms stay, so
    that the totals never go down)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def _registry(directory: Path) -> CollectorRegistry:
    from prometheus_client import CollectorRegistry, multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
    registry.register(OutboxBacklog())
    return registry


class OutboxBacklog:
    """Notifications not yet delivered nor given up, by channel: counted when scraped (one
    indexed count per scrape), so the figure is never stale and needs no sweep to run."""

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        family = GaugeMetricFamily(
            "bookings_outbox_backlog",
            "Notifications waiting to be delivered (pending, due or retrying later), by channel",
            labels=["channel"],
        )
        runtime = current_runtime()
        try:
            # A bare connection, not a unit of work: a scrape is no transaction of the workers'
            # own, and should not show among their figures.
            with runtime.engine.connect() as connection:
                pending = pending_by_channel(connection.execution_options(read_only=True))
        except Exception:
            log.warning("could not count the outbox backlog", exc_info=True)
            return
        for channel in sorted(set(runtime.settings.channels) | set(pending)):
            family.add_metric([channel], pending.get(channel, 0))
        yield family
