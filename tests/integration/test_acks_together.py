"""A batch's messages taken off Redis in one round trip; each ack then costs none.

Against the real Redis, through the worker's own kombu transport (worker/broker.py): messages
are published and received as a worker receives them, and the round trips are counted on
the clients the channel makes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from kombu import Connection, Producer, Queue
from kombu.message import Message

from harness.processes import free_port
from harness.redis_databases import redis_url
from tests.support.redis_clients import CountingRedis
from worker.acks import remove_together
from worker.broker import Transport

pytestmark = pytest.mark.integration


class CountedChannel:
    """A channel of the worker's transport, and the round trips of every client it made."""

    def __init__(self, channel: Any) -> None:
        self.channel = channel
        self.clients: list[CountingRedis] = []
        self.queue = Queue(f"acks-{uuid.uuid4().hex[:8]}", channel=channel)

    def client(self, **options: Any) -> CountingRedis:
        made = CountingRedis(**options)
        self.clients.append(made)
        return made

    @property
    def round_trips(self) -> int:
        return sum(client.round_trips for client in self.clients)

    def received(self, count: int) -> list[Message]:
        """`count` messages published, then received unacked, as a worker's consumer does."""
        producer = Producer(self.channel)
        for number in range(count):
            producer.publish({"n": number}, routing_key=self.queue.name, declare=[self.queue])
        return [self.queue.get(no_ack=False) for _ in range(count)]

    def unacked(self, messages: list[Message]) -> list[bool]:
        """Whether the broker still holds each message for restoring."""
        qos = self.channel.qos
        server = redis.Redis(connection_pool=self.channel.pool)
        return [bool(server.hexists(qos.unacked_key, m.delivery_tag)) for m in messages]

    def waiting(self) -> int:
        return int(redis.Redis(connection_pool=self.channel.pool).llen(self.queue.name))


@pytest.fixture
def counted(handler_redis: redis.Redis) -> Iterator[CountedChannel]:
    with Connection(redis_url("handlers"), transport=Transport) as connection:
        channel = connection.channel()
        counted = CountedChannel(channel)
        channel.Client = counted.client
        yield counted
        counted.queue.delete()


def test_a_batch_of_messages_leaves_redis_in_one_round_trip_and_each_ack_then_costs_none(
    counted: CountedChannel,
) -> None:
    messages = counted.received(5)
    assert counted.unacked(messages) == [True] * 5
    before = counted.round_trips

    remove_together(messages)
    removing = counted.round_trips - before
    for message in messages:
        message.ack()

    assert (removing, counted.round_trips - before) == (1, 1)
    assert counted.unacked(messages) == [False] * 5
    assert [m.acknowledged for m in messages] == [True] * 5


def test_control_acked_one_by_one_each_message_costs_a_round_trip(
    counted: CountedChannel,
) -> None:
    messages = counted.received(5)
    before = counted.round_trips

    for message in messages:
        message.ack()

    assert counted.round_trips - before == 5
    assert counted.unacked(messages) == [False] * 5


def test_a_message_removed_with_its_batch_is_not_restored_when_the_channel_closes_unacked(
    counted: CountedChannel,
) -> None:
    # Given two answered messages taken off Redis, and a third still running
    answered, running = counted.received(2), counted.received(1)
    remove_together(answered)

    # When the channel restores what it delivered before their acks arrive (a warm shutdown)
    counted.channel.qos.restore_unacked()

    # Then only the running one goes back to the queue
    assert counted.waiting() == 1
    assert counted.unacked([*answered, *running]) == [False] * 3


def test_when_redis_refuses_the_batch_each_ack_removes_its_own_message(
    counted: CountedChannel,
) -> None:
    messages = counted.received(3)
    working_client = counted.channel.Client
    # Given a broker that cannot be reached while the batch is taken off
    unreachable = redis.ConnectionPool(port=free_port(), socket_connect_timeout=0.2)
    counted.channel.Client = lambda **_options: CountingRedis(connection_pool=unreachable)
    remove_together(messages)
    assert counted.unacked(messages) == [True] * 3

    # When it is back for the acks
    counted.channel.Client = working_client
    before = counted.round_trips
    for message in messages:
        message.ack()

    # Then each ack made its own round trip, and none is left
    assert counted.round_trips - before == 3
    assert counted.unacked(messages) == [False] * 3


def test_a_single_message_is_left_to_its_own_ack(counted: CountedChannel) -> None:
    [message] = counted.received(1)
    before = counted.round_trips

    remove_together([message])
    message.ack()

    assert counted.round_trips - before == 1
    assert counted.unacked([message]) == [False]


def test_receiving_and_acking_messages_reuses_one_client_of_the_channel(
    counted: CountedChannel,
) -> None:
    # kombu alone makes a client per pipeline: one per message received, one per ack
    messages = counted.received(4)
    for message in messages:
        message.ack()

    assert len(counted.clients) == 1
