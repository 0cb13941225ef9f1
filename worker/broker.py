"""kombu's Redis transport, with a channel that survives its connection being collected.

Why: a Celery worker's main process exited on a Redis restart with "Unrecoverable error:
AttributeError("'NoneType' object has no attribute 'hostname'")" (issue 16), with celery 5.7.0,
kombu 5.7.0 and redis-py 8.1.0, the newest releases. The same error in `_connparams` has been
reported upstream for years (celery/kombu#582, "Error on restarting Gossip"); no kombu release
fixes it.

How it happens: when the consumer loses the broker, Celery collects the connection
(`Connection.collect()`) and then closes it. Collecting closes every channel while Redis is
still away. The task channel's close stops at once, reading the reply to the BRPOP it had in
flight; the next channel's close (the remote-control one: deleting its auto-delete queue)
fails too and ends the loop, so the task channel is left open. Collecting then forgets the
transport's `client` (the kombu Connection, where host and port live). The close that follows
closes the task channel at last: it drops its Redis pools and, to restore the messages its pool
processes are still running, builds a new pool from `self.connection.client.hostname`, now
None. An AttributeError is no connection error, so neither `ignore_errors` nor the consumer's
reconnect loop catches it, and the worker exits. The ack of a task that finishes later on that
channel fails the same way.

The fix: each channel remembers its connection parameters while its transport still knows
them, and builds a pool from them once the transport has forgotten. The channel then restores
or acks against the Redis that came back, as it would have had it been closed in time; while
Redis is still away that fails with a connection error, which Celery handles.
tests/integration/test_broker_restart.py reproduces the failing sequence.

Two cheaper ways besides (issue 13): a channel keeps one Redis client per connection pool
instead of making one for every pipeline (`_create_client`), and its QoS can take a batch's
messages off Redis in one round trip (worker/acks.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis
from kombu.transport import redis as kombu_redis

from .acks import QoSAckingTogether


class Channel(kombu_redis.Channel):
    QoS = QoSAckingTogether  # a batch's messages acked in one round trip (worker/acks.py)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._remembered_connparams: dict[bool, dict[str, Any]] = {}
        self._kept_clients: dict[bool, tuple[Any, Any, redis.Redis]] = {}
        super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]
        for asynchronous in (False, True):
            self._connparams(asynchronous=asynchronous)

    def _create_client(self, asynchronous: bool = False) -> redis.Redis:
        """kombu makes a new client for every pipeline it runs (each message's receipt and
        ack), and each new redis-py client copies its table of some 200 reply parsers: about
        a tenth of a busy worker's main process. A client is only its pool and that table, so
        one is kept per pool (a pool dropped on a lost connection takes its client with it)."""
        pool = self.async_pool if asynchronous else self.pool
        kept = self._kept_clients.get(asynchronous)
        if kept is not None and kept[0] is pool and kept[1] is self.Client:
            return kept[2]
        client: redis.Redis = super()._create_client(asynchronous)  # type: ignore[no-untyped-call]
        self._kept_clients[asynchronous] = (pool, self.Client, client)
        return client

    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        transport = self.connection
        knows_client = transport is not None and transport.client is not None
        if knows_client and not isinstance(transport, _RememberedTransport):
            params: dict[str, Any] = super()._connparams(asynchronous)  # type: ignore[no-untyped-call]
            self._remembered_connparams[asynchronous] = dict(params)
            return params
        remembered = self._remembered_connparams.get(asynchronous)
        if remembered is None:
            # Nothing to reconnect with: say so in a way Celery treats as a lost connection.
            raise redis.exceptions.ConnectionError(
                "the broker connection of this channel was closed"
            )
        return dict(remembered)


class SentinelChannel(Channel, kombu_redis.SentinelChannel):
    """The same for a Redis found through Sentinel (`sentinel://...`), where a failover is a
    broker restart as the worker sees it.

    Besides the connection parameters, kombu's Sentinel channel reads the sentinels' addresses
    from the transport's client (`self.connection.client.alt`) each time it builds a pool, so
    the same collected connection fails there too. This channel remembers the addresses as
    well, and while the transport has forgotten them builds its pool from a stand-in holding
    them: kombu's own code then finds the new master through the remembered sentinels.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._remembered_client: _RememberedClient | None = None
        self._remembered_default_port = kombu_redis.SentinelTransport.default_port
        super().__init__(*args, **kwargs)

    def _sentinel_managed_pool(self, asynchronous: bool = False) -> Any:
        transport = self.connection
        if transport is not None and transport.client is not None:
            self._remembered_client = _RememberedClient(list(transport.client.alt))
            self._remembered_default_port = transport.default_port
            return super()._sentinel_managed_pool(asynchronous)  # type: ignore[no-untyped-call]
        if self._remembered_client is None:
            raise redis.exceptions.ConnectionError(
                "the broker connection of this channel was closed"
            )
        forgotten = self.connection
        stand_in = _RememberedTransport(self._remembered_client, self._remembered_default_port)
        self.connection = stand_in
        try:
            return super()._sentinel_managed_pool(asynchronous)  # type: ignore[no-untyped-call]
        finally:
            self.connection = forgotten


@dataclass(frozen=True)
class _RememberedClient:
    """What kombu's Sentinel channel reads of its kombu Connection: the sentinel URLs."""

    alt: list[str]


@dataclass(frozen=True)
class _RememberedTransport:
    """What kombu's Sentinel channel reads of its transport while building a pool."""

    client: _RememberedClient
    default_port: int


class StayOnFirstURL:
    """kombu's failover strategy for Sentinel (`broker_failover_strategy`): never switch.

    kombu takes the sentinels' URLs for alternative brokers, and after a failed connection
    switches to the next one. Switching re-reads the transport from the URL's scheme, so the
    worker would go on with kombu's own Sentinel transport instead of SentinelTransport below,
    and exit on the next collected connection as before (seen in the sentinel-failover drill).
    There is nothing to gain from switching: the Sentinel channel asks every sentinel in the
    list whichever URL is current. kombu switches only if the strategy's iterator is true, so
    this one never is; it still yields the first URL, which kombu skips once at start.
    """

    def __init__(self, urls: list[str]) -> None:
        self._first = urls[0]

    def __iter__(self) -> StayOnFirstURL:
        return self

    def __next__(self) -> str:
        return self._first

    def __bool__(self) -> bool:
        return False


class Transport(kombu_redis.Transport):
    Channel = Channel


class SentinelTransport(kombu_redis.SentinelTransport):
    Channel = SentinelChannel


# What `broker_transport` names (worker/celery_app.py).
TRANSPORT = f"{__name__}:Transport"
SENTINEL_TRANSPORT = f"{__name__}:SentinelTransport"
