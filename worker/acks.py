"""A batch's messages acked in one Redis round trip, not one each.

kombu's Redis transport keeps each message it delivered in an unacked hash and index until its
ack removes it from both (a ZREM and an HDEL in one pipeline): a round trip per message, in
the worker's main process, beside the round trips that received it. For a batch of bookings
(worker/batching.py) the main process now removes all of the batch's messages from the indices
in one pipeline first; the acks that Celery then makes, each in its own time and through its
own bookkeeping (the request's state, the prefetch it restores after a reconnection), find
their message removed already and only forget it in kombu's own memory.

Removing a message from the indices is what makes its ack final: a restore (a closing channel,
the visibility timeout) reads the message back from the hash, so a removed message is never
delivered again. Removal is done only for messages whose calls were all answered, exactly
where each would have been acked one by one before. If Redis refuses the pipeline, nothing is
recorded as removed and each ack makes its own round trip, as before (and fails, and is
logged, as before).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from kombu.transport import redis as kombu_redis
from kombu.transport.virtual import QoS as MemoryQoS

log = logging.getLogger(__name__)


class QoSAckingTogether(kombu_redis.QoS):
    """kombu's Redis QoS, which can also remove many messages from its indices at once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]
        # Delivery tags removed from Redis by `remove_together`, whose ack is still to come.
        self._removed: set[str] = set()

    def remove_together(self, delivery_tags: list[str]) -> None:
        """Remove these messages from the unacked hash and index, in one pipeline."""
        with self.pipe_or_acquire() as pipe:
            for tag in delivery_tags:
                self._remove_from_indices(tag, pipe)  # type: ignore[no-untyped-call]
            pipe.execute()
        self._removed.update(delivery_tags)

    def ack(self, delivery_tag: str) -> None:
        try:
            self._removed.remove(delivery_tag)
        except KeyError:
            super().ack(delivery_tag)  # type: ignore[no-untyped-call]  # its own round trip
        else:
            MemoryQoS.ack(self, delivery_tag)  # type: ignore[no-untyped-call]


def remove_together(messages: Iterable[Any]) -> None:
    """Remove these answered messages from Redis in a round trip per channel, so that their
    acks cost none. Messages acked already, or on another transport, are left to their ack."""
    by_channel: dict[int, tuple[QoSAckingTogether, list[str]]] = {}
    for message in messages:
        channel = message.channel
        qos = getattr(channel, "qos", None)
        if (
            message.acknowledged
            or not isinstance(qos, QoSAckingTogether)
            or _without_acks(channel, message)
        ):
            continue
        by_channel.setdefault(id(qos), (qos, []))[1].append(message.delivery_tag)
    for qos, tags in by_channel.values():
        if len(tags) < 2:
            continue  # its own ack costs the same round trip
        try:
            qos.remove_together(tags)
        except Exception as error:  # each ack tries again on its own, and logs its failure
            log.warning("could not ack %d messages together: %r", len(tags), error)


def _without_acks(channel: Any, message: Any) -> bool:
    """Whether the message came to a consumer that does not ack (its ack never reaches QoS)."""
    no_ack = channel.no_ack_consumers
    return bool(no_ack) and message.delivery_info.get("consumer_tag") in no_ack
