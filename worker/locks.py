"""The per-class Redis lock: keeps workers from colliding on one class (throughput, not truth)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from uuid import UUID

from redis import Redis
from redis.exceptions import LockNotOwnedError

from .keys import class_lock_key

log = logging.getLogger(__name__)


class LockBusyError(Exception):
    """Another worker held the class lock for longer than this one would wait."""


class ClassLocks:
    """The lock of one class at a time: a TTL, a bounded wait and a token-checked release."""

    def __init__(
        self,
        redis: Redis,
        *,
        ttl_s: float,
        wait_s: float,
        poll_s: float = 0.002,
        enabled: bool = True,
    ) -> None:
        self._redis = redis
        self._ttl_s = ttl_s
        self._wait_s = wait_s
        self._poll_s = poll_s
        self.enabled = enabled

    @contextmanager
    def holding_all(self, class_ids: Iterable[UUID]) -> Iterator[None]:
        """The locks of several classes, always taken in sorted order, so that two commands
        wanting overlapping sets cannot each hold one the other waits for."""
        with ExitStack() as stack:
            for class_id in sorted(set(class_ids), key=str):
                stack.enter_context(self.holding(class_id))
            yield

    @contextmanager
    def holding(self, class_id: UUID) -> Iterator[None]:
        if not self.enabled:
            yield
            return
        lock = self._redis.lock(
            class_lock_key(class_id),
            timeout=self._ttl_s,
            blocking_timeout=self._wait_s,
            sleep=self._poll_s,
            # Released in the same call stack, never from another thread.
            thread_local=False,
        )
        if not lock.acquire():
            raise LockBusyError(f"class {class_id} stayed locked for {self._wait_s:g} s")
        try:
            yield
        finally:
            try:
                lock.release()  # a Lua script that deletes the key only if our token is in it
            except LockNotOwnedError:
                # Our TTL ran out and another worker may hold the lock now; the database guard
                # kept the seats right, so this is worth a warning, not a failure.
                log.warning("lock of class %s expired before it was released", class_id)
