"""The tasks clients send: one thin task per contract entry, each handing its call to the runner.

A refusal is a normal result; a class that stays locked or a dropped database connection
becomes a retry with backoff; anything else is a task failure.
"""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime
from typing import Any

from celery import Task
from sqlalchemy.exc import DBAPIError, OperationalError

from api_client.contract import tasks as names
from api_client.contract.tasks import TASKS

from ..celery_app import app
from ..domain.errors import ClassBusyError
from ..handlers import CommandRunner
from ..refusals import refusal_result
from ..runtime import current_runtime
from .deliveries import deliver_staged

log = logging.getLogger(__name__)

Result = dict[str, Any]
# How often a retry's publish tries Redis again while it is away.
PUBLISH_RETRY_EVERY_S = 1.0


class BookingTask(Task):  # type: ignore[misc]
    """The base of every booking task."""

    # The retry budgets are ours (see _answer), not Celery's default of three.
    max_retries = None
    # Celery renders every result for its log line whether or not it logs it; a booking's
    # answer is a kilobyte of JSON, and rendering all of it costs more than a round trip.
    resultrepr_maxsize = 120


def runner() -> CommandRunner:
    """The runner of this process, with its engine, locks and channels."""
    return CommandRunner(current_runtime().handler_deps(dispatch=deliver_staged))


def _backoff_s(attempt: int) -> float:
    settings = current_runtime().settings
    # Full jitter: waiting workers spread out instead of stampeding the lock together.
    return random.uniform(0, min(settings.retry_cap_s, settings.retry_base_s * 2**attempt))


def _answer(task: Task, kwargs: dict[str, Any]) -> Result:
    """The runner's answer; contention and lost connections become a retry."""
    settings = current_runtime().settings
    if (task.request.delivery_info or {}).get("redelivered"):
        # Restored after a visibility timeout or a lost worker: harmless, the command's key
        # makes it apply at most once; logged so that operators (and the drills) see it.
        log.warning("redelivered: %s %s", task.name, task.request.id)
    try:
        return runner().handle(task.name, kwargs, datetime.now(UTC))
    except ClassBusyError as busy:
        if task.request.retries >= settings.lock_retries:
            return refusal_result(busy)
        raise _retry(task) from None
    except (OperationalError, DBAPIError) as error:
        # A dropped connection, a deadlock or a serialization failure: the transaction rolled
        # back whole, so running the command again is safe.
        transient = isinstance(error, OperationalError) or error.connection_invalidated
        if not transient or task.request.retries >= settings.db_retries:
            raise
        log.warning("retrying %s after a database error: %s", task.name, error)
        raise _retry(task) from None


def _retry(task: Task) -> Exception:
    """The command sent again after a backoff, its message published now.

    If Redis is away (a restart), publishing waits for it, as an allocation does (up to
    BOOKINGS_REDIS_OUTAGE_WAIT_S). Celery's default gives up after three tries in 0.6 s and
    rejects the message with requeue=False: the command is recorded as failed, while the
    message, which Redis never saw acked, comes back after the visibility timeout and applies
    it. The caller was told "failed" about a booking that was made (issue 16, all-together).
    """
    settings = current_runtime().settings
    policy = {
        "max_retries": int(settings.redis_outage_wait_s / PUBLISH_RETRY_EVERY_S) + 1,
        "interval_start": 0,
        "interval_step": PUBLISH_RETRY_EVERY_S / 2,
        "interval_max": PUBLISH_RETRY_EVERY_S,
    }
    retry: Exception = task.retry(
        countdown=_backoff_s(task.request.retries), retry=True, retry_policy=policy
    )
    return retry


def _register(task_name: str) -> None:
    @app.task(name=task_name, base=BookingTask, bind=True)
    def answer(self: Task, **kwargs: Any) -> Result:
        return _answer(self, kwargs)


for _name in TASKS:
    _register(_name)


@app.task(name=names.PING)
def ping() -> Result:
    """A no-op round trip: the ceiling the benchmarks measure booking throughput against."""
    return {"data": "pong"}
