"""A batch's answers stored together: read back exactly as Celery stores each alone.

Against the real Redis, through Celery's own Redis result backend (the one the workers use).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from celery import Celery
from celery.result import AsyncResult

from harness.redis_databases import redis_url
from tests.support.redis_clients import CountingRedis
from worker.results import store_done_together

pytestmark = pytest.mark.integration


@pytest.fixture
def app(handler_redis: redis.Redis) -> Iterator[Celery]:
    url = redis_url("handlers")
    celery = Celery("results-together", broker=url, backend=url)
    celery.conf.result_expires = 3600
    yield celery
    celery.close()


def answer(name: str) -> dict[str, Any]:
    return {"data": {"id": str(uuid.uuid4()), "customer": name}}


def ids(count: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(count)]


def test_answers_stored_together_read_back_as_one_stored_alone(app: Celery) -> None:
    together, alone = ids(3), str(uuid.uuid4())
    answers = [answer(f"C{i}") for i in range(3)]

    store_done_together(app.backend, list(zip(together, answers, strict=True)))
    app.backend.mark_as_done(alone, answer("Alone"))

    assert [AsyncResult(i, app=app).get(timeout=1) for i in together] == answers
    metas = [app.backend.get_task_meta(i) for i in [*together, alone]]
    assert {m["status"] for m in metas} == {"SUCCESS"}
    assert len({frozenset(m) for m in metas}) == 1, "the same fields as Celery's own"
    ttls = [app.backend.client.ttl(app.backend.get_key_for_task(i)) for i in [*together, alone]]
    assert all(0 < ttl <= 3600 for ttl in ttls), ttls


def test_an_answer_stored_before_stands_when_a_redelivered_one_comes(app: Celery) -> None:
    first_id, other_id = ids(2)
    first = answer("First delivery")
    app.backend.mark_as_done(first_id, first)

    store_done_together(app.backend, [(first_id, answer("Redelivered")), (other_id, answer("B"))])

    assert AsyncResult(first_id, app=app).get(timeout=1) == first
    assert AsyncResult(other_id, app=app).get(timeout=1)["data"]["customer"] == "B"


def test_each_answer_is_published_to_its_waiting_caller(app: Celery) -> None:
    task_ids = ids(2)
    listener = app.backend.client.pubsub()
    listener.subscribe(*[app.backend.get_key_for_task(i) for i in task_ids])
    for _ in task_ids:
        assert listener.get_message(timeout=1)["type"] == "subscribe"

    store_done_together(app.backend, [(i, answer(i)) for i in task_ids])

    published = [listener.get_message(timeout=1) for _ in task_ids]
    channels = {m["channel"].decode() for m in published if m and m["type"] == "message"}
    assert channels == {app.backend.get_key_for_task(i).decode() for i in task_ids}
    listener.close()


def test_a_batch_of_answers_costs_two_round_trips(app: Celery) -> None:
    counting = CountingRedis(connection_pool=app.backend.client.connection_pool)
    app.backend.client = counting

    store_done_together(app.backend, [(i, answer(i)) for i in ids(9)])

    assert counting.round_trips == 2  # one MGET, one pipeline of SETEX and PUBLISH
