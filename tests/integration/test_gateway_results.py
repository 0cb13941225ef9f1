"""The gateway's result watcher against a real Redis: early results, missed ones, none."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
import redis

from gateway.results import ResultWatcher
from harness.redis_servers import RedisServer, own_redis

pytestmark = pytest.mark.integration

PREFIX = "celery-task-meta-"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    with own_redis(tmp_path / "redis") as server:
        yield server


Scenario = Callable[[ResultWatcher], Awaitable[bytes | None]]


async def watching(server: RedisServer, scenario: Scenario) -> bytes | None:
    watcher = ResultWatcher(server.url(0), PREFIX)
    await watcher.start()
    try:
        return await scenario(watcher)
    finally:
        await watcher.close()


def publish(server: RedisServer, key: str, value: bytes, *, store: bool = True) -> None:
    client = redis.Redis.from_url(server.url(0))
    if store:
        client.set(key, value)
    client.publish(key, value)
    client.close()


def test_a_result_published_before_its_request_waits_is_kept_for_it(
    redis_server: RedisServer,
) -> None:
    async def scenario(watcher: ResultWatcher) -> bytes | None:
        publish(redis_server, f"{PREFIX}early", b"answer", store=False)
        # The listener takes it before anyone waits: wait for that rather than for a guessed
        # time, else a slow listener would hand it over to the waiting request instead.
        deadline = asyncio.get_running_loop().time() + 10
        while f"{PREFIX}early" not in watcher._unclaimed:
            assert asyncio.get_running_loop().time() < deadline, "the listener never took it"
            await asyncio.sleep(0.01)
        return await watcher.wait(f"{PREFIX}early", 1.0)

    assert asyncio.run(watching(redis_server, scenario)) == b"answer"


def test_a_result_published_while_waiting_is_handed_over(redis_server: RedisServer) -> None:
    async def scenario(watcher: ResultWatcher) -> bytes | None:
        loop = asyncio.get_running_loop()
        loop.call_later(0.1, publish, redis_server, f"{PREFIX}later", b"answer")
        return await watcher.wait(f"{PREFIX}later", 5.0)

    assert asyncio.run(watching(redis_server, scenario)) == b"answer"


def test_a_result_stored_but_never_published_is_found_by_reading_its_key(
    redis_server: RedisServer,
) -> None:
    # As after a lost subscription: the result is there, its message never came.
    async def scenario(watcher: ResultWatcher) -> bytes | None:
        redis.Redis.from_url(redis_server.url(0)).set(f"{PREFIX}quiet", b"answer")
        return await watcher.wait(f"{PREFIX}quiet", 5.0)

    assert asyncio.run(watching(redis_server, scenario)) == b"answer"


def test_no_result_within_the_wait_is_none(redis_server: RedisServer) -> None:
    async def scenario(watcher: ResultWatcher) -> bytes | None:
        return await watcher.wait(f"{PREFIX}never", 0.3)

    assert asyncio.run(watching(redis_server, scenario)) is None


def test_results_survive_a_redis_restart_of_the_subscription(redis_server: RedisServer) -> None:
    async def scenario(watcher: ResultWatcher) -> bytes | None:
        await asyncio.to_thread(redis_server.restart, 0.2)
        loop = asyncio.get_running_loop()
        loop.call_later(0.5, publish, redis_server, f"{PREFIX}after", b"answer")
        return await watcher.wait(f"{PREFIX}after", 5.0)

    assert asyncio.run(watching(redis_server, scenario)) == b"answer"


def test_a_retrys_mark_is_no_answer_and_the_answer_that_follows_is(
    redis_server: RedisServer,
) -> None:
    # A task that found its class busy marks its key RETRY (stored and published), then answers.
    def is_answer(stored: bytes) -> bool:
        return not stored.startswith(b"RETRY")

    async def scenario(watcher: ResultWatcher) -> bytes | None:
        key = f"{PREFIX}retried"
        waiting = asyncio.create_task(watcher.wait(key, 10.0))
        publish(redis_server, key, b"RETRY mark")
        # Its mark is stored and published and read back at least once before the answer.
        await asyncio.sleep(0)
        assert await watcher.stored(key) is None
        assert not waiting.done()
        publish(redis_server, key, b"the answer")
        return await waiting

    async def watching_answers(server: RedisServer) -> bytes | None:
        watcher = ResultWatcher(server.url(0), PREFIX, is_answer=is_answer)
        await watcher.start()
        try:
            return await scenario(watcher)
        finally:
            await watcher.close()

    assert asyncio.run(watching_answers(redis_server)) == b"the answer"
