"""The locks of a batch's classes: taken in one round trip when all are free, else one by one.

Against the real Redis: what holding_all leaves behind is read from Redis itself, and its
round trips are counted on the client it is given.
"""

from __future__ import annotations

import uuid

import pytest
import redis

from tests.support.redis_clients import CountingRedis
from worker.domain.errors import ClassBusyError
from worker.keys import class_lock_key
from worker.locks import ClassLocks

pytestmark = pytest.mark.integration


def classes(count: int) -> list[uuid.UUID]:
    return [uuid.uuid4() for _ in range(count)]


def locked(connection: redis.Redis, class_ids: list[uuid.UUID]) -> list[bool]:
    return [bool(connection.exists(class_lock_key(c))) for c in class_ids]


def test_the_locks_of_free_classes_are_taken_together_and_all_released(
    handler_redis: redis.Redis,
) -> None:
    counting = CountingRedis(connection_pool=handler_redis.connection_pool)
    locks = ClassLocks(counting, ttl_s=10, wait_s=1)
    batch = classes(4)

    with locks.holding_all(batch):
        held, trips_to_take = locked(handler_redis, batch), counting.round_trips

    assert held == [True] * 4 and locked(handler_redis, batch) == [False] * 4
    # Four SETs in one pipeline, and four token-checked deletes (a script each) in another
    assert (trips_to_take, counting.round_trips) == (1, 2)


def test_a_class_held_elsewhere_makes_the_others_wait_in_turn_and_leaves_none_locked(
    handler_redis: redis.Redis,
) -> None:
    locks = ClassLocks(handler_redis, ttl_s=10, wait_s=0.2)
    free, busy, after = sorted(classes(3), key=str)
    other_worker = ClassLocks(handler_redis, ttl_s=10, wait_s=1)

    # Given another worker holding the middle class
    with (
        other_worker.holding(busy),
        pytest.raises(ClassBusyError),
        locks.holding_all([after, busy, free]),
    ):
        pytest.fail("the batch ran without the lock of a class held elsewhere")

    # Then the batch's try left nothing of its own locked: the first free class is free again
    # and the one after the busy one was never kept
    assert locked(handler_redis, [free, busy, after]) == [False, False, False]


def test_a_lock_that_expired_and_was_taken_by_another_is_not_released_by_the_batch(
    handler_redis: redis.Redis,
) -> None:
    locks = ClassLocks(handler_redis, ttl_s=10, wait_s=1)
    first, second = classes(2)

    with locks.holding_all([first, second]):
        # Our lock of the first class expires, and another worker takes it
        handler_redis.set(class_lock_key(first), b"another-worker", px=10_000)

    assert handler_redis.get(class_lock_key(first)) == b"another-worker"
    assert not handler_redis.exists(class_lock_key(second))
