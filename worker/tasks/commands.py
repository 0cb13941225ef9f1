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

from ..batching import batching_strategy
from ..celery_app import app
from ..domain.errors import ClassBusyError
from ..handlers import CommandRunner
from ..handlers.together import Answered, Call, Failed, Postponed
from ..refusals import refusal_result
from ..results import store_done_together
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


class BatchedBookingTask(BookingTask):
    """A booking task whose messages the worker's main process hands the pool a batch at a
    time, while the pool is busy (BOOKINGS_BOOKING_BATCH_MAX > 1; worker/batching.py)."""

    def Strategy(self, task: Task, app: Any, consumer: Any, **options: Any) -> Any:
        return batching_strategy(task, app, consumer, answer_batch, **options)


def answer_batch(task_name: str, calls: list[Call]) -> int:
    """In a pool process: every call of a batch answered (its result stored), sent again for
    later, or failed, as each would be alone. The main process acks their messages after this
    returns, and sends them back to the queue if this process dies first."""
    task = app.tasks[task_name]
    for call in calls:
        if call.redelivered:
            log.warning("redelivered: %s %s", task_name, call.id)
    try:
        answers = runner().handle_together(task_name, calls, datetime.now(UTC))
    except Exception as error:  # a bug: each call fails as its task would alone
        log.exception("a batch of %s failed", task_name)
        answers = {call.id: Failed(error) for call in calls}
    answered = [(c.id, a.result) for c in calls if isinstance(a := answers[c.id], Answered)]
    store_done_together(task.backend, answered)  # two round trips for all, not two each
    for call in calls:
        answer = answers[call.id]
        if not isinstance(answer, Answered):
            _settle(task, call, answer)
    return len(calls)


def _settle(task: Task, call: Call, answer: Failed | Postponed) -> None:
    backend = task.backend
    if isinstance(answer, Failed):
        backend.mark_as_failure(call.id, answer.error)
    else:
        try:
            given_up = _after_postponing(task, answer.reason, call.retries)
        except Exception as spent:  # the database failed it through every retry
            backend.mark_as_failure(call.id, spent)
        else:
            if given_up is None:
                send_again(task, call)
            else:
                backend.mark_as_done(call.id, given_up)


def runner() -> CommandRunner:
    """The runner of this process, with its engine, locks and channels."""
    return CommandRunner(current_runtime().handler_deps(dispatch=deliver_staged))


def _backoff_s(attempt: int) -> float:
    settings = current_runtime().settings
    # Full jitter: waiting workers spread out instead of stampeding the lock together.
    return random.uniform(0, min(settings.retry_cap_s, settings.retry_base_s * 2**attempt))


def _answer(task: Task, kwargs: dict[str, Any]) -> Result:
    """The runner's answer; contention and lost connections become a retry."""
    if (task.request.delivery_info or {}).get("redelivered"):
        # Restored after a visibility timeout or a lost worker: harmless, the command's key
        # makes it apply at most once; logged so that operators (and the drills) see it.
        log.warning("redelivered: %s %s", task.name, task.request.id)
    try:
        return runner().handle(task.name, kwargs, datetime.now(UTC))
    except ClassBusyError as busy:
        given_up = _after_postponing(task, busy, task.request.retries)
    except (OperationalError, DBAPIError) as error:
        # A dropped connection, a deadlock or a serialization failure: the transaction rolled
        # back whole, so running the command again is safe.
        if not (isinstance(error, OperationalError) or error.connection_invalidated):
            raise
        given_up = _after_postponing(task, error, task.request.retries)
    if given_up is not None:
        return given_up
    raise _retry(task) from None


def _after_postponing(task: Task, reason: Exception, retries: int) -> Result | None:
    """What a command that could not be answered now comes to after `retries` retries, alone
    or in a batch: None to send it again; a refusal once its class has stayed locked through
    every retry; `reason` raised once the database has failed it through every retry."""
    settings = current_runtime().settings
    if isinstance(reason, ClassBusyError):
        return refusal_result(reason) if retries >= settings.lock_retries else None
    if retries >= settings.db_retries:
        raise reason
    log.warning("retrying %s after a database error: %s", task.name, reason)
    return None


def _retry(task: Task) -> Exception:
    """The command sent again after a backoff, its message published now.

    If Redis is away (a restart), publishing waits for it, as an allocation does (up to
    BOOKINGS_REDIS_OUTAGE_WAIT_S). Celery's default gives up after three tries in 0.6 s and
    rejects the message with requeue=False: the command is recorded as failed, while the
    message, which Redis never saw acked, comes back after the visibility timeout and applies
    it. The caller was told "failed" about a booking that was made (issue 16, all-together).
    """
    retry: Exception = task.retry(
        countdown=_backoff_s(task.request.retries), retry=True, retry_policy=publish_policy()
    )
    return retry


def publish_policy() -> dict[str, float]:
    """How a retry's publish waits out a Redis restart (see _retry)."""
    settings = current_runtime().settings
    return {
        "max_retries": int(settings.redis_outage_wait_s / PUBLISH_RETRY_EVERY_S) + 1,
        "interval_start": 0,
        "interval_step": PUBLISH_RETRY_EVERY_S / 2,
        "interval_max": PUBLISH_RETRY_EVERY_S,
    }


def send_again(task: Task, call: Call) -> None:
    """A call of a batch that could not be answered now (its class stayed locked, the database
    connection was lost), sent again after a backoff as its retry, under the same task id."""
    task.apply_async(
        kwargs=call.kwargs,
        task_id=call.id,
        countdown=_backoff_s(call.retries),
        retries=call.retries + 1,
        retry=True,
        retry_policy=publish_policy(),
    )


def _register(task_name: str) -> None:
    # create_booking's messages may be taken a batch at a time (worker/batching.py); a retry,
    # sent with a countdown, comes back through `answer` alone.
    base = BatchedBookingTask if task_name == names.CREATE_BOOKING else BookingTask

    @app.task(name=task_name, base=base, bind=True)
    def answer(self: Task, **kwargs: Any) -> Result:
        return _answer(self, kwargs)


for _name in TASKS:
    _register(_name)


@app.task(name=names.PING)
def ping() -> Result:
    """A no-op round trip: the ceiling the benchmarks measure booking throughput against."""
    return {"data": "pong"}
