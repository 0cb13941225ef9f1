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
"""

from __future__ import annotations

from typing import Any

import redis
from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._remembered_connparams: dict[bool, dict[str, Any]] = {}
        super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]
        for asynchronous in (False, True):
            self._connparams(asynchronous=asynchronous)

    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        transport = self.connection
        if transport is not None and transport.client is not None:
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


class Transport(kombu_redis.Transport):
    Channel = Channel


# What `broker_transport` names (worker/celery_app.py).
TRANSPORT = f"{__name__}:Transport"
