"""The Celery app: broker, results, delivery guarantees, the start-up migration and metrics."""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.signals import (
    worker_init,
    worker_process_init,
    worker_process_shutdown,
    worker_shutdown,
)

from api_client.contract import tasks as task_names
from api_client.redis_urls import celery_url, transport_options

from .broker import SENTINEL_TRANSPORT, StayOnFirstURL
from .broker import TRANSPORT as REDIS_TRANSPORT
from .config import get_settings, settings_or_exit
from .storage.engine import dispose_all, engine_for, forget_inherited_engines
from .storage.migrate import upgrade_to_head


def create_app() -> Celery:
    settings = settings_or_exit()
    url = celery_url(settings.redis_url)
    app = Celery("group-bookings", broker=url, backend=url)
    # kombu's Redis (or Sentinel) transport with a channel that outlives its collected
    # connection, so a Redis restart or failover cannot stop the worker (worker/broker.py).
    # rediss:// and unix:// keep kombu's own, which sets up TLS or the socket from the scheme.
    if settings.redis_is_sentinel:
        app.conf.broker_transport = SENTINEL_TRANSPORT
        app.conf.broker_failover_strategy = StayOnFirstURL
    elif settings.redis_url.lower().startswith("redis://"):
        app.conf.broker_transport = REDIS_TRANSPORT
    # Sentinel: the master's name and the sentinels' timeouts (nothing for a plain Redis).
    sentinel_options = transport_options(settings.redis_url, settings.redis_master_name)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_default_queue=task_names.QUEUE,
        # At least once: a task is acked only after it ran, and goes back to the queue if the
        # process running it dies. Handlers are idempotent, so running twice is harmless.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # One message at a time per process, so a dead process strands at most one.
        worker_prefetch_multiplier=1,
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout_s,
            "unacked_restore_interval": settings.unacked_restore_interval_s,
            "unacked_restore_throttle": 1,
            # The sweep's lease (kombu's own is 300 s): a worker killed mid-sweep leaves the
            # lease behind, and until it expires no worker restores anything, so messages a
            # dead worker held waited five minutes past their visibility timeout (worker-kill
            # drill). A sweep that outlasts its lease is harmless: each restore is a WATCH
            # transaction on the message, so two sweeps at once restore it once.
            "unacked_mutex_expire": settings.unacked_restore_interval_s,
            **sentinel_options,
        },
        result_backend_transport_options=sentinel_options,
        result_expires=settings.result_expires_s,
        # A result that cannot be stored because Redis is restarting is stored once it is
        # back: otherwise Celery records the task as failed although its command committed,
        # and the caller is told "failed" about a booking that was made (found by a drill).
        result_backend_always_retry=True,
        result_backend_max_retries=settings.result_store_retries,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        task_track_started=False,
        beat_schedule={
            "complete-past-classes": {
                "task": "bookings.complete_past_classes",
                "schedule": settings.complete_every_s,
            },
            "sweep-outbox": {
                "task": "bookings.sweep_outbox",
                "schedule": settings.outbox_sweep_every_s,
            },
            "sweep-command-keys": {"task": "bookings.sweep_command_keys", "schedule": 3600.0},
            "sweep-waitlists": {
                "task": "bookings.sweep_waitlists",
                "schedule": settings.offer_sweep_every_s,
            },
            "sweep-reminders": {
                "task": "bookings.sweep_reminders",
                "schedule": settings.reminder_sweep_every_s,
            },
        },
    )
    return app


app = create_app()


@worker_init.connect
def _migrate_before_taking_tasks(**_: Any) -> None:
    """Runs in the worker's main process, before it forks its pool."""
    upgrade_to_head(engine_for(get_settings()))
    # The children must open their own connections, not inherit these.
    dispose_all()


@worker_init.connect
def _export_metrics_if_asked(**_: Any) -> None:
    """With BOOKINGS_METRICS_PORT, before the fork: the pool records, this process serves."""
    settings = get_settings()
    if settings.metrics_port is not None:
        from .metrics_exporter import start_exporting

        start_exporting(settings)


@worker_process_init.connect
def _fresh_connections_in_child(**_: Any) -> None:
    forget_inherited_engines()


@worker_process_shutdown.connect
@worker_shutdown.connect
def _mark_local_deliveries_before_exit(**_: Any) -> None:
    """A pool process's on its way out; the worker's own too, for a pool that runs tasks in
    the main process (solo, threads): nothing is left for the sweep to write again."""
    from .runtime import mark_local_deliveries_before_exit

    mark_local_deliveries_before_exit()


@worker_process_shutdown.connect
def _metrics_of_exiting_child(pid: int, **_: Any) -> None:
    if get_settings().metrics_port is not None:
        from .metrics_exporter import process_exited

        process_exited(pid)


@worker_shutdown.connect
def _metrics_directory_after_the_worker(**_: Any) -> None:
    if get_settings().metrics_port is not None:
        from .metrics_exporter import stop_exporting

        stop_exporting()
