"""Waiting for workers' results on the event loop: one Redis subscription per gateway process.

The worker stores a command's result under its key and publishes the same bytes on a channel of
that name (Celery's Redis backend). The gateway subscribes once, at start, to the pattern of
every result channel, and one listener task hands each result to the request waiting for it. A
result that arrives before its request starts waiting (the worker was quicker than the thread
that sent the task) is kept for a few seconds, so no request needs a round trip of its own to
Redis. A request also reads its key every CHECK_S, so a result published while the subscription
was down is still found.

Every gateway process receives every result published in its Redis database; the results of
other clients are dropped after UNCLAIMED_KEEP_S. A value that is no answer yet (`is_answer`
says no: Celery marks a retrying task's key RETRY) is neither handed over nor kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable

from redis.exceptions import RedisError

from api_client.redis_urls import DEFAULT_MASTER_NAME, async_redis_client

CHECK_S = 0.5
LISTEN_TIMEOUT_S = 1.0
RECONNECT_PAUSE_S = 0.2
UNCLAIMED_KEEP_S = 10.0
UNCLAIMED_MAX = 10_000

log = logging.getLogger(__name__)


class ResultWatcher:
    """Awaits result keys: `await watcher.wait(key, timeout_s)` gives the stored bytes or None."""

    def __init__(
        self,
        redis_url: str,
        key_prefix: str,
        master_name: str = DEFAULT_MASTER_NAME,
        is_answer: Callable[[bytes], bool] = lambda _stored: True,
    ) -> None:
        # Through Sentinel (redis.asyncio.sentinel), the subscription's reconnect after a
        # failover asks the sentinels for the new master and subscribes there again.
        self._redis = async_redis_client(redis_url, master_name)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._pattern = f"{key_prefix}*"
        self._waiting: dict[str, asyncio.Future[bytes]] = {}
        # Results nobody waited for yet: key -> (arrival, result), oldest first.
        self._unclaimed: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._listener: asyncio.Task[None] | None = None
        self._is_answer = is_answer

    async def start(self) -> None:
        await self._pubsub.psubscribe(self._pattern)
        self._listener = asyncio.create_task(self._listen(), name="gateway-result-listener")

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self._redis.aclose()

    async def wait(self, key: str, timeout_s: float) -> bytes | None:
        """The result stored under `key` once there, or None after `timeout_s`."""
        early = self._unclaimed.pop(key, None)
        if early is not None:
            return early[1]
        if timeout_s <= 0:
            return await self.stored(key)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        arrived: asyncio.Future[bytes] = loop.create_future()
        self._waiting[key] = arrived
        try:
            while True:
                remaining_s = deadline - loop.time()
                with contextlib.suppress(TimeoutError):
                    return await asyncio.wait_for(
                        asyncio.shield(arrived), max(0.0, min(CHECK_S, remaining_s))
                    )
                stored = await self.stored(key)
                if stored is not None:
                    return stored
                if deadline - loop.time() <= 0:
                    return None
        finally:
            del self._waiting[key]

    async def stored(self, key: str) -> bytes | None:
        """The result stored under `key` now, if any."""
        try:
            stored = await self._redis.get(key)
        except RedisError as error:
            log.warning("reading result %s failed (%s); checking again", key, error)
            return None
        return stored if isinstance(stored, bytes) and self._is_answer(stored) else None

    async def _listen(self) -> None:
        """Hand each published result to the request waiting for it, or keep it a while."""
        while True:
            try:
                message = await self._pubsub.get_message(timeout=LISTEN_TIMEOUT_S)
            except RedisError as error:
                # redis-py reconnects on the next call and subscribes to the pattern again.
                log.warning("result subscription lost (%s); reconnecting", error)
                await asyncio.sleep(RECONNECT_PAUSE_S)
                continue
            if message is None or message.get("type") != "pmessage":
                continue
            channel = message["channel"]
            self._arrived(
                channel.decode() if isinstance(channel, bytes) else str(channel), message["data"]
            )

    def _arrived(self, key: str, result: bytes) -> None:
        if not self._is_answer(result):
            return  # a retry's mark: the answer follows on the same channel
        waiting = self._waiting.get(key)
        if waiting is not None:
            if not waiting.done():
                waiting.set_result(result)
            return
        now = time.monotonic()
        self._unclaimed[key] = (now, result)
        while self._unclaimed:
            oldest_key, (arrival, _) = next(iter(self._unclaimed.items()))
            if now - arrival < UNCLAIMED_KEEP_S and len(self._unclaimed) <= UNCLAIMED_MAX:
                break
            del self._unclaimed[oldest_key]
