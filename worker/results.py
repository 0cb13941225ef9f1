"""A batch's answers stored in two Redis round trips, where storing each alone takes two.

Celery's Redis result backend stores one result with a GET (a result already stored as a
success is never overwritten: the late answer of a redelivered task must not replace the one
its caller may have read) and a pipeline of SETEX and PUBLISH (the PUBLISH wakes the caller).
For a batch: one MGET for all, one pipeline for all. The stored value is the backend's own
(`_get_result_meta`, `encode`), so a caller cannot tell the two ways apart.

Another backend, or a Redis error on the way, stores each result as Celery does, with its
retries: the batch's results are written again, which changes nothing for those stored.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from celery import states
from celery.backends.redis import RedisBackend
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

Result = dict[str, Any]


def store_done_together(backend: Any, answered: Sequence[tuple[str, Result]]) -> None:
    """Each (task id, result) stored as a success, as `backend.mark_as_done` would store it."""
    if isinstance(backend, RedisBackend) and len(answered) > 1:
        try:
            _in_two_round_trips(backend, answered)
            return
        except RedisError as error:
            log.warning("storing %d results together failed (%s): one by one", len(answered), error)
    for task_id, result in answered:
        backend.mark_as_done(task_id, result)


def _in_two_round_trips(backend: RedisBackend, answered: Sequence[tuple[str, Result]]) -> None:
    keys = [backend.get_key_for_task(task_id) for task_id, _ in answered]
    stored = backend.client.mget(keys)
    with backend.client.pipeline() as pipe:
        for key, (task_id, result), before in zip(keys, answered, stored, strict=True):
            if before and backend.decode_result(before)["status"] == states.SUCCESS:
                continue  # answered before (a redelivery): that answer stands
            value = backend.encode(_meta(backend, task_id, result))
            pipe.set(key, value, ex=backend.expires or None)  # Celery's SETEX, as SET EX
            pipe.publish(key, value)
        pipe.execute()


def _meta(backend: RedisBackend, task_id: str, result: Result) -> dict[str, Any]:
    value = backend.encode_result(result, states.SUCCESS)
    meta: dict[str, Any] = backend._get_result_meta(
        result=value, state=states.SUCCESS, traceback=None, request=None
    )
    meta["task_id"] = task_id
    return meta
