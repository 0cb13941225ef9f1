"""Taking a booking task's messages a batch at a time, in the worker's main process.

Celery hands each message to the pool on its own, one per process (prefetch 1): under load,
every booking pays a task's whole overhead, a lock and a transaction. Here the main process
keeps Celery's own strategy (revocation, events, countdowns and ETAs all as before) and takes
over only its last step: a message ready to run goes to the pool at once if a process is free
for it, and otherwise waits, with the others that arrive meanwhile, for the next free process,
which gets them all as one batch (at most BOOKINGS_BOOKING_BATCH_MAX). So an idle worker adds
no wait to a booking, and a busy one applies many together (worker/handlers/together.py).

Delivery guarantees are those of a task with acks_late and reject_on_worker_lost: a batch's
messages are acked only after the pool process returns (every call answered, sent again or
failed), and sent back to the queue if that process dies first. While messages wait here the
consumer is allowed one more unacked message for each (up to a batch per pool process), so
waiting bookings do not use up the prefetch that the worker's other tasks rely on.

Messages that carry a countdown (retries) come back through Celery's timer and run alone.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from billiard.einfo import ExceptionInfo, ExceptionWithTraceback
from billiard.exceptions import WorkerLostError
from celery.worker.state import task_ready
from celery.worker.strategy import default as default_strategy

from api_client.contract.tasks import BODY_FIELD

from .acks import remove_together
from .config import get_settings
from .handlers.together import Call

log = logging.getLogger(__name__)

# Runs in a pool process: (task name, calls) -> how many calls it settled.
AnswerBatch = Callable[[str, list[Call]], int]


def batching_strategy(
    task: Any, app: Any, consumer: Any, answer_batch: AnswerBatch, **options: Any
) -> Any:
    """Celery's default strategy for `task`, its ready requests batched (or not, at 1)."""
    batch_max = get_settings().booking_batch_max
    if batch_max <= 1:
        return default_strategy(task, app, consumer, **options)
    batches = Batches(
        task_name=task.name,
        pool=consumer.pool,
        consumer=consumer,
        answer_batch=answer_batch,
        batch_max=batch_max,
        processes=max(1, int(consumer.pool.num_processes or 1)),
    )
    return default_strategy(task, app, _HandingTo(consumer, batches.take), **options)


class _HandingTo:
    """The consumer as the default strategy sees it, except that requests ready to run are
    handed to `on_task_request` (the batches) instead of to the pool one by one."""

    def __init__(self, consumer: Any, on_task_request: Callable[[Any], None]) -> None:
        self._consumer = consumer
        self.on_task_request = on_task_request

    def __getattr__(self, name: str) -> Any:
        return getattr(self._consumer, name)


@dataclass
class Batches:
    """Requests waiting for a free pool process, and the batches running."""

    task_name: str
    pool: Any
    consumer: Any
    answer_batch: AnswerBatch
    batch_max: int
    processes: int
    waiting: list[Any] = field(default_factory=list)
    running: int = 0
    # The classes of the bookings in running batches, with how many each.
    running_classes: Counter[str] = field(default_factory=Counter)
    # Extra prefetch granted to requests waiting or running here: by request id, the QoS it
    # was granted on (the consumer makes a new one when it reconnects; a credit is returned
    # to the one that granted it, never to its successor).
    credited: dict[str, Any] = field(default_factory=dict)
    _mutex: threading.RLock = field(default_factory=threading.RLock)

    def take(self, request: Any) -> None:
        with self._mutex:
            self.waiting.append(request)
            if len(self.credited) < self.batch_max * self.processes:
                qos = self.credited[request.id] = self.consumer.qos
                qos.increment_eventually()
        self._send_while_free()

    def _send_while_free(self) -> None:
        while True:
            with self._mutex:
                if self.running >= self.processes:
                    return
                batch = self._next_batch()
                if not batch:
                    return
                self.running += 1
            calls = [_call_of(request) for request in batch]
            try:
                self.pool.apply_async(
                    self.answer_batch,
                    args=(self.task_name, calls),
                    callback=lambda _settled, batch=batch: self._done(batch),
                    error_callback=lambda einfo, batch=batch: self._lost(batch, einfo),
                )
            except Exception:  # the pool is closing (a warm shutdown): Redis redelivers them
                log.exception("could not hand a batch of %s to the pool", self.task_name)
                self._finished(batch, lambda request: None)

    def _next_batch(self) -> list[Any]:
        """The waiting requests a free process takes, in arrival order: at most `batch_max`,
        none for a class that a running batch has. So all of a class's bookings that waited
        go together, and a process never waits for the class lock that its sibling holds
        (the hot class's stampede, if both took some of its bookings)."""
        batch: list[Any] = []
        for request in self.waiting:
            if len(batch) == self.batch_max:
                break
            if _class_of(request) not in self.running_classes:
                batch.append(request)
        taken = {id(request) for request in batch}
        self.waiting = [request for request in self.waiting if id(request) not in taken]
        self.running_classes.update(c for c in map(_class_of, batch) if c is not None)
        return batch

    def _done(self, batch: list[Any]) -> None:
        """The pool process answered every call: ack their messages (taken off Redis together
        first, so that each ack costs no round trip of its own)."""
        remove_together(request.message for request in batch if not request.acknowledged)
        self._finished(batch, lambda request: request.acknowledge())

    def _lost(self, batch: list[Any], einfo: ExceptionInfo) -> None:
        """The pool process died (or the batch raised past its own handling): nothing is
        acked without an answer. A lost process's messages go back to the queue at once;
        otherwise they are acked, as a task that failed is."""
        lost = isinstance(_raised(einfo), WorkerLostError)
        log.error("a batch of %d %s ended without answers: %r", len(batch), self.task_name, einfo)
        if lost:
            self._finished(batch, lambda request: request.reject(requeue=True))
        else:
            self._finished(batch, lambda request: _failed(request, einfo))

    def _finished(self, batch: list[Any], settle: Callable[[Any], None]) -> None:
        for request in batch:
            settle(request)
            task_ready(request)
        with self._mutex:
            self.running -= 1
            self.running_classes.subtract(c for c in map(_class_of, batch) if c is not None)
            self.running_classes = +self.running_classes  # drops the classes at zero
            returned = [self.credited.pop(r.id) for r in batch if r.id in self.credited]
        for qos in returned:
            qos.decrement_eventually()
        self._send_while_free()


def _class_of(request: Any) -> str | None:
    """The class a seat booking is for, read from its message (None for anything else: a
    class, seats in a series, a body that will be refused)."""
    body = request._payload[1].get(BODY_FIELD)
    related = body.get("related") if isinstance(body, dict) else None
    class_id = related.get("owner_booking_id") if isinstance(related, dict) else None
    return class_id if isinstance(class_id, str) else None


def _raised(einfo: ExceptionInfo) -> BaseException | None:
    """What the pool reported, unwrapped as Celery unwraps it for a task."""
    raised = getattr(einfo, "exception", None)
    return raised.exc if isinstance(raised, ExceptionWithTraceback) else raised


def _failed(request: Any, einfo: ExceptionInfo) -> None:
    request.task.backend.mark_as_failure(request.id, _raised(einfo))
    request.acknowledge()


def _call_of(request: Any) -> Call:
    """What a pool process needs of a request (Celery's Request does not pickle)."""
    _args, kwargs, _embed = request._payload
    return Call(
        id=request.id,
        kwargs=dict(kwargs),
        retries=int(request.request_dict.get("retries", 0) or 0),
        redelivered=bool((request.delivery_info or {}).get("redelivered")),
    )
