"""A Redis restart does not stop a worker (issue 16).

A worker's main process exited on a Redis restart with "Unrecoverable error: AttributeError(
"'NoneType' object has no attribute 'hostname'")" from kombu's Redis transport (`_connparams`):
worker/broker.py says how. The first tests replay the failing sequence on a kombu connection,
deterministically; the last restarts Redis under one real worker with production's settings.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery.utils.threads import bound_open_broker_sockets
from kombu import Connection, Exchange, Message, Queue
from kombu.common import ignore_errors
from kombu.transport import redis as kombu_redis

from api_client import BookingClient, BookingError, BusyError, PendingResult, ResultTimeoutError
from harness.bodies import class_body, seat_body
from harness.databases import fresh_database
from harness.redis_servers import RedisServer, own_redis
from harness.workers import Deployment, running_workers
from tests.support.invariants import seat_accounts
from worker.broker import Transport

pytestmark = pytest.mark.integration

RESTARTS = 5


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    with own_redis(tmp_path / "redis") as server:
        yield server


def lose_redis_under_a_consumer(server: RedisServer, transport: type) -> Message:
    """What a worker's consumer goes through when Redis stops, as Celery does it.

    A task channel holds a message a pool process is running and has a BRPOP in flight; a
    second channel consumes an auto-delete fanout queue (as remote control does). Redis stops;
    the consumer collects the connection and closes it (celery.worker.consumer.consumer.
    Consumer.on_connection_error_after_connected), and Redis comes back. Returns the held
    message, whose ack comes later.
    """
    connection = Connection(server.url(0), transport=transport)
    connection.ensure_connection()
    tasks = Queue("tasks")
    with connection.Producer() as producer:
        producer.publish({"n": 1}, routing_key="tasks", declare=[tasks])
    held: list[Message] = []
    consumer = connection.Consumer(
        tasks, callbacks=[lambda _, message: held.append(message)], accept=["json"]
    )
    consumer.qos(prefetch_count=2)
    consumer.consume()
    remote_control = connection.channel()
    replies = Queue("replies", Exchange("control", "fanout"), auto_delete=True)
    connection.Consumer(replies, channel=remote_control, no_ack=True).consume()
    deadline = time.monotonic() + 10
    while not held:
        assert time.monotonic() < deadline, "the message never came"
        connection.drain_events(timeout=5)
    [message] = held
    task_channel = message.channel
    while not task_channel._in_poll:  # the next BRPOP, sent and not yet answered
        assert time.monotonic() < deadline, "no BRPOP in flight"
        with contextlib.suppress(socket.timeout):
            connection.drain_events(timeout=0.05)

    server.stop()
    bound_open_broker_sockets(connection, 5.0)
    with contextlib.suppress(Exception):
        connection.collect(socket_timeout=5.0)
    ignore_errors(connection, connection.close)  # raised AttributeError before the fix
    server.start()
    return message


def test_kombus_own_transport_still_fails_that_way(redis_server: RedisServer) -> None:
    """The upstream bug, kept visible: once this fails, worker/broker.py can go."""
    with pytest.raises(AttributeError, match="hostname"):
        lose_redis_under_a_consumer(redis_server, kombu_redis.Transport)


def test_a_consumer_losing_redis_closes_cleanly_and_acks_once_it_is_back(
    redis_server: RedisServer,
) -> None:
    message = lose_redis_under_a_consumer(redis_server, Transport)

    message.ack()  # the pool process finished after the restart: its ack reaches Redis

    assert message.acknowledged


@pytest.fixture
def worker_with_production_settings(
    redis_server: RedisServer, tmp_path: Path
) -> Iterator[Deployment]:
    """One worker with production's defaults (notifications aside: no receiver here)."""
    settings = {"BOOKINGS_NOTIFICATION_CHANNELS": ""}
    with (
        fresh_database("postgresql", tmp_path) as database_url,
        running_workers(redis_server.url(0), database_url, tmp_path, settings=settings) as workers,
    ):
        yield workers


def answer(client: BookingClient, body: dict[str, Any], key: str, pending: PendingResult) -> Any:
    """The command's answer; resent under its key after a timeout or a lost connection, as
    docs/reliability.md's callers do. A refusal is an answer."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return pending.result(5)
        except (ResultTimeoutError, BusyError):
            pass
        except BookingError as error:
            return error
        except Exception:  # Redis away: the result connection
            pass
        assert time.monotonic() < deadline, f"{key} was never answered"
        try:
            pending = client.submit_booking(body, key)
        except Exception:
            time.sleep(0.2)


def test_a_worker_rides_out_redis_restarts_and_every_command_is_answered(
    redis_server: RedisServer, worker_with_production_settings: Deployment
) -> None:
    deployment = worker_with_production_settings
    [worker] = deployment.processes
    # (burst of commands submitted just before, pause before the restart, time Redis is down)
    moments = [(0, 0.0, 0.5), (20, 0.0, 1.0), (20, 0.05, 0.2), (5, 0.2, 1.5), (20, 0.0, 0.0)]
    assert len(moments) == RESTARTS
    sent: list[tuple[dict[str, Any], str, PendingResult]] = []
    with deployment.client(timeout_s=30) as client:
        klass = client.create_booking(class_body(max_seats=1000))["data"]
        body = seat_body(klass["id"], seats=1)
        for restart, (burst, pause_s, down_s) in enumerate(moments):
            for n in range(burst):
                key = f"restart-{restart}-{n}"
                sent.append((body, key, client.submit_booking(body, key)))
            time.sleep(pause_s)
            redis_server.restart(down_s)
            time.sleep(1.0)
            assert worker.poll() is None, deployment.log_paths[0].read_text()[-4000:]

        answers = [answer(client, body, key, pending) for body, key, pending in sent]
        assert worker.poll() is None

    log = deployment.log_paths[0].read_text()
    assert "Unrecoverable error" not in log
    assert all(isinstance(a, dict) and a["data"]["state"] == "confirmed" for a in answers)
    [account] = seat_accounts(deployment.database_url, [klass["id"]])
    assert account.current_seats == len(sent)
