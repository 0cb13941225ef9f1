"""A worker killed in the middle of its sweep for abandoned messages holds up no one for long.

kombu's Redis transport sweeps messages whose worker vanished back to the queue under a lease
(`unacked_mutex`) that it takes for 300 s unless told otherwise. A worker killed while it holds
the lease stops every worker's sweep until the lease runs out: in the worker-kill drill a held
booking waited 46 s instead of 11 and its caller resent it. The lease is now the sweep interval.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from kombu.transport.redis import Mutex

from harness.redis_databases import redis_url
from worker.celery_app import create_app
from worker.config import get_settings

pytestmark = pytest.mark.integration

INTERVAL_S = 7


@pytest.fixture
def sweep_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("BOOKINGS_REDIS_URL", redis_url("worker-loss"))
    monkeypatch.setenv("BOOKINGS_UNACKED_RESTORE_INTERVAL_S", str(INTERVAL_S))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_a_sweep_left_unfinished_holds_its_lease_for_one_interval_not_five_minutes(
    sweep_settings: None,
) -> None:
    app = create_app()
    with app.connection_for_write() as connection:
        qos = connection.default_channel.qos
        broker = redis.Redis.from_url(redis_url("worker-loss"))
        broker.delete(qos.unacked_mutex_key)
        # Given a sweep that takes its lease as the worker's transport does
        with Mutex(broker, qos.unacked_mutex_key, qos.unacked_mutex_expire):
            # When its worker dies now (the lease is never given back)
            lease_ms = broker.pttl(qos.unacked_mutex_key)
        broker.close()
    # Then the lease runs out after one sweep interval, and another worker's sweep goes on
    assert 0 < lease_ms <= INTERVAL_S * 1000
    assert qos.unacked_mutex_expire == INTERVAL_S
