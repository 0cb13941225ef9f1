"""A caller waiting for a result finds it even if its publication was missed (a Redis restart
reconnecting the caller's subscription at that moment), without waiting out its timeout."""

from __future__ import annotations

import json
import threading
import uuid

import pytest
import redis

from api_client import BookingClient
from harness.redis_databases import redis_url

pytestmark = pytest.mark.integration


def test_a_result_stored_but_never_published_is_found_before_the_timeout() -> None:
    url = redis_url("handlers")  # no worker there: the result below is the only one
    with BookingClient(url, timeout_s=30) as client:
        pending = client.pending(str(uuid.uuid4()))
        meta = {
            "status": "SUCCESS",
            "result": {"data": "pong"},
            "traceback": None,
            "children": [],
            "date_done": None,
            "task_id": pending.id,
        }
        # Given the result stored a moment after the caller began to wait, with no PUBLISH
        store = threading.Timer(
            1.5, lambda: redis.Redis.from_url(url).set(pending.result_key, json.dumps(meta))
        )
        store.start()

        # When the caller waits for it, Then it is answered rather than timed out
        answer = pending.result(timeout_s=20)
        store.join()

    assert answer == {"data": "pong"}
