"""Waiting for workers' results on the event loop: one Redis subscription per gateway process.

The worker stores a command's result under its key and publishes the same bytes on a channel of
that name (Celery's Redis backend). Each waiting request subscribes to its channel on one shared
connection, read by one listener task; no thread is held and nothing polls while it waits. The
stored key is read after subscribing and again every CHECK_S, so a result published before the
subscription took effect, or while the connection was down, is still found.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import redis.asyncio as aioredis
from redis.exceptions import RedisError

CHECK_S = 0.5
LISTEN_TIMEOUT_S = 1.0
RECONNECT_PAUSE_S = 0.2

log = logging.getLogger(__name__)


class ResultWatcher:
    """Awaits result keys: `await watcher.wait(key, timeout_s)` gives the stored bytes or None."""

    def __init__(self, redis_url: str) -> None:
        self._redis = aioredis.Redis.from_url(redis_url)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._waiting: dict[str, asyncio.Future[bytes]] = {}
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    async def start(self) -> None:
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
        if timeout_s <= 0:
            return await self.stored(key)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        arrived: asyncio.Future[bytes] = loop.create_future()
        self._waiting[key] = arrived
        try:
            await self._subscribe(key)
            while True:
                stored = await self.stored(key)
                if stored is not None:
                    return stored
                remaining_s = deadline - loop.time()
                if remaining_s <= 0:
                    return None
                with contextlib.suppress(TimeoutError):
                    return await asyncio.wait_for(
                        asyncio.shield(arrived), min(CHECK_S, remaining_s)
                    )
        finally:
            del self._waiting[key]
            await self._unsubscribe(key)

    async def stored(self, key: str) -> bytes | None:
        """The result stored under `key` now, if any."""
        try:
            stored = await self._redis.get(key)
        except RedisError as error:
            log.warning("reading result %s failed (%s); checking again", key, error)
            return None
        return stored if isinstance(stored, bytes) else None

    async def _subscribe(self, key: str) -> None:
        try:
            await self._pubsub.subscribe(key)
            self._subscribed.set()
        except RedisError as error:  # the periodic read of the key still finds the result
            log.warning("subscribing to %s failed (%s); reading the key instead", key, error)

    async def _unsubscribe(self, key: str) -> None:
        with contextlib.suppress(RedisError):
            await self._pubsub.unsubscribe(key)

    async def _listen(self) -> None:
        """Hand each published result to the request waiting for it."""
        while True:
            if not self._pubsub.subscribed:
                # Nothing to read until a request subscribes; checked and cleared with no await
                # between, so a subscription made meanwhile sets the event again after this.
                self._subscribed.clear()
                await self._subscribed.wait()
                continue
            try:
                message = await self._pubsub.get_message(timeout=LISTEN_TIMEOUT_S)
            except RedisError as error:
                # redis-py reconnects on the next call and subscribes again to every channel.
                log.warning("result subscription lost (%s); reconnecting", error)
                await asyncio.sleep(RECONNECT_PAUSE_S)
                continue
            if message is None or message.get("type") != "message":
                continue
            channel = message["channel"]
            arrived = self._waiting.get(
                channel.decode() if isinstance(channel, bytes) else str(channel)
            )
            if arrived is not None and not arrived.done():
                arrived.set_result(message["data"])
