"""A Redis result backend for clients that wait for results in their own way."""

from __future__ import annotations

from typing import Any

from celery.backends.redis import RedisBackend, SentinelBackend

from .redis_urls import is_sentinel_url


class KeyReadRedisBackend(RedisBackend):  # type: ignore[misc]
    """Celery's Redis backend without its subscription to every task sent.

    Celery's client subscribes to a task's result channel as it sends the task, and only
    `AsyncResult.get` unsubscribes. A caller that never calls `get` (the gateway waits on its
    own asyncio subscription) would pile up subscriptions and unread messages; this backend
    leaves the subscribing to `get`, which still works: it reads the stored result first.
    """

    def on_task_call(self, producer: Any, task_id: str) -> None:
        return None


class KeyReadSentinelBackend(SentinelBackend):  # type: ignore[misc]
    """KeyReadRedisBackend for a Redis found through Sentinel (`sentinel://...`)."""

    def on_task_call(self, producer: Any, task_id: str) -> None:
        return None


def key_read_backend_url(redis_url: str) -> str:
    """The result backend URL naming this class; Celery reads `<class>+redis://...`."""
    backend = KeyReadSentinelBackend if is_sentinel_url(redis_url) else KeyReadRedisBackend
    return f"{__name__}:{backend.__name__}+{redis_url}"
