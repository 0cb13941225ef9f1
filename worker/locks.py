"""The per-class Redis lock: keeps workers from colliding on one class (throughput, not truth)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from uuid import UUID

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import LockNotOwnedError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.lock import Lock

from . import metrics
from .domain.errors import ClassBusyError
from .keys import class_lock_key

log = logging.getLogger(__name__)
OUTAGE_FIRST_PAUSE_S = 0.1
OUTAGE_MAX_PAUSE_S = 2.0


class ClassLocks:
    """The lock of one class at a time: a TTL, a bounded wait and a token-checked release."""

    def __init__(
        self,
        redis: Redis,
        *,
        ttl_s: float,
        wait_s: float,
        poll_s: float = 0.002,
        outage_wait_s: float = 30.0,
    ) -> None:
        self._redis = redis
        self._ttl_s = ttl_s
        self._wait_s = wait_s
        self._poll_s = poll_s
        self._outage_wait_s = outage_wait_s

    @contextmanager
    def holding_all(self, class_ids: Iterable[UUID]) -> Iterator[None]:
        """The locks of several classes, always taken in sorted order, so that two commands
        wanting overlapping sets cannot each hold one the other waits for.

        Several are first tried all at once, in one round trip, and released in one: a batch
        of seat bookings holds the locks of all its classes. If any is taken, those this try
        got are released and the locks are taken one by one, waiting for each in turn."""
        ordered = sorted(set(class_ids), key=str)
        tokens = self._all_at_once(ordered) if len(ordered) > 1 else None
        if tokens is not None:
            held_since = time.perf_counter()
            try:
                for class_id in ordered:
                    self._taken(class_id)
                yield
            finally:
                self._release_all(tokens, time.perf_counter() - held_since)
            return
        with ExitStack() as stack:
            for class_id in ordered:
                stack.enter_context(self.holding(class_id))
            yield

    @contextmanager
    def holding(self, class_id: UUID) -> Iterator[None]:
        """The class's lock for the block; ClassBusyError if it stayed taken past the wait."""
        lock = self._redis.lock(
            class_lock_key(class_id),
            timeout=self._ttl_s,
            blocking_timeout=self._wait_s,
            sleep=self._poll_s,
            # Released in the same call stack, never from another thread.
            thread_local=False,
        )
        asked = time.perf_counter()
        taken = self._acquire(lock, class_id)
        held_since = time.perf_counter()
        metrics.lock_waited(held_since - asked)
        if not taken:
            raise ClassBusyError(f"class {class_id} stayed locked for {self._wait_s:g} s")
        try:
            self._taken(class_id)
            yield
        finally:
            metrics.lock_held(time.perf_counter() - held_since)
            try:
                lock.release()  # a Lua script that deletes the key only if our token is in it
            except LockNotOwnedError:
                # Our TTL ran out and another worker may hold the lock now; the database guard
                # kept the seats right, so this is worth a warning, not a failure.
                log.warning("lock of class %s expired before it was released", class_id)
            except (RedisConnectionError, RedisTimeoutError) as error:
                # The command is done (committed or refused); the lock expires by its TTL.
                log.warning("could not release the lock of class %s: %s", class_id, error)

    def _acquire(self, lock: Lock, class_id: UUID) -> bool:
        """Take the lock, waiting out a Redis restart for up to `outage_wait_s`."""
        deadline = time.monotonic() + self._outage_wait_s
        pause_s = OUTAGE_FIRST_PAUSE_S
        while True:
            try:
                return bool(lock.acquire())
            except (RedisConnectionError, RedisTimeoutError) as error:
                if time.monotonic() >= deadline:
                    raise ClassBusyError(f"Redis unreachable for the lock of {class_id}") from None
                log.warning("Redis unreachable taking the lock of %s (%s)", class_id, error)
                time.sleep(pause_s)
                pause_s = min(pause_s * 2, OUTAGE_MAX_PAUSE_S)

    def _taken(self, class_id: UUID) -> None:
        """Called as each lock is taken (the fault drills pause here)."""

    def _all_at_once(self, ordered: Sequence[UUID]) -> dict[UUID, bytes] | None:
        """Every lock taken in one round trip (their tokens), or none of them: None if any
        was held elsewhere or Redis failed (then they are taken one by one)."""
        asked = time.perf_counter()
        tokens = {class_id: uuid.uuid4().hex.encode() for class_id in ordered}
        ttl_ms = int(self._ttl_s * 1000)
        try:
            with self._redis.pipeline(transaction=False) as pipe:
                for class_id, token in tokens.items():
                    pipe.set(class_lock_key(class_id), token, nx=True, px=ttl_ms)
                taken = pipe.execute()
        except (RedisConnectionError, RedisTimeoutError):
            return None  # a lock this try may have set expires by its TTL
        if all(taken):
            waited = time.perf_counter() - asked
            for _ in ordered:
                metrics.lock_waited(waited)
            return tokens
        self._release_all(
            {c: t for (c, t), got in zip(tokens.items(), taken, strict=True) if got}, None
        )
        return None

    def _release_all(self, tokens: dict[UUID, bytes], held_s: float | None) -> None:
        """Each lock deleted if it still holds our token, in one round trip."""
        if not tokens:
            return
        if held_s is not None:
            for _ in tokens:
                metrics.lock_held(held_s)
        try:
            with self._redis.pipeline(transaction=False) as pipe:
                for class_id, token in tokens.items():
                    # EVAL, not a registered script: a pipeline checks that those exist first,
                    # a round trip more.
                    pipe.eval(Lock.LUA_RELEASE_SCRIPT, 1, class_lock_key(class_id), token)
                released = pipe.execute()
        except (RedisConnectionError, RedisTimeoutError) as error:
            log.warning("could not release the locks of %d classes: %s", len(tokens), error)
            return
        for class_id, deleted in zip(tokens, released, strict=True):
            if not deleted:
                log.warning("lock of class %s expired before it was released", class_id)
