"""How the worker's main process hands waiting seat bookings to free pool processes.

`Batches` is driven here with a pool that only records what it was handed and a consumer's
QoS that only counts; the real thing runs in tests/integration/test_batched_bookings.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from billiard.einfo import ExceptionInfo
from billiard.exceptions import WorkerLostError

from worker.batching import Batches


@dataclass(eq=False)  # hashable by identity, as Celery keeps requests in weak sets
class Request:
    id: str
    class_id: str | None
    acked: bool = False
    requeued: bool | None = None

    @property
    def _payload(self) -> tuple[Any, ...]:
        related = {"owner_booking_id": self.class_id} if self.class_id else {}
        return (), {"body": {"related": related}, "idempotency_key": self.id}, {}

    request_dict: dict[str, Any] = field(default_factory=dict)
    delivery_info: dict[str, Any] = field(default_factory=dict)

    @property
    def acknowledged(self) -> bool:
        return self.acked

    @property
    def message(self) -> Any:
        """A message on a transport whose acks go one by one (none taken off together)."""
        return SimpleNamespace(channel=SimpleNamespace(), acknowledged=self.acked)

    def acknowledge(self) -> None:
        self.acked = True

    def reject(self, requeue: bool = False) -> None:
        self.requeued = requeue


@dataclass
class Handed:
    calls: list[Any]
    callback: Any
    error_callback: Any

    @property
    def ids(self) -> list[str]:
        return [call.id for call in self.calls]


@dataclass
class RecordingPool:
    handed: list[Handed] = field(default_factory=list)

    def apply_async(self, _target: Any, args: tuple[Any, ...], **callbacks: Any) -> None:
        _task_name, calls = args
        self.handed.append(Handed(calls, callbacks["callback"], callbacks["error_callback"]))


@dataclass
class CountingQos:
    value: int = 2

    def increment_eventually(self) -> None:
        self.value += 1

    def decrement_eventually(self) -> None:
        self.value -= 1


@dataclass
class Consumer:
    qos: CountingQos = field(default_factory=CountingQos)


def batches(processes: int = 2, batch_max: int = 32) -> tuple[Batches, RecordingPool, Consumer]:
    pool, consumer = RecordingPool(), Consumer()
    made = Batches(
        task_name="bookings.create_booking",
        pool=pool,
        consumer=consumer,
        answer_batch=lambda _name, calls: len(calls),
        batch_max=batch_max,
        processes=processes,
    )
    return made, pool, consumer


def test_a_booking_that_finds_a_free_process_goes_alone_at_once() -> None:
    made, pool, _ = batches()

    made.take(Request("b1", "class-a"))

    assert [handed.ids for handed in pool.handed] == [["b1"]]


def test_bookings_arriving_while_every_process_is_busy_go_together_to_the_next_free_one() -> None:
    made, pool, _ = batches(processes=2)
    for request in [Request("b1", "a"), Request("b2", "b"), Request("b3", "c"), Request("b4", "d")]:
        made.take(request)
    assert [handed.ids for handed in pool.handed] == [["b1"], ["b2"]]

    pool.handed[0].callback(1)

    assert [handed.ids for handed in pool.handed][2:] == [["b3", "b4"]]


def test_a_class_in_a_running_batch_waits_and_its_bookings_then_go_together() -> None:
    made, pool, _ = batches(processes=2)
    hot = [Request(f"h{i}", "hot") for i in range(4)]
    made.take(hot[0])
    # While the hot class's first booking runs, its next ones arrive with another class's
    for request in [hot[1], Request("other", "calm"), hot[2], hot[3]]:
        made.take(request)

    # The free process takes the other class's booking, not the hot class's
    assert [handed.ids for handed in pool.handed] == [["h0"], ["other"]]
    pool.handed[0].callback(1)
    assert pool.handed[2].ids == ["h1", "h2", "h3"]


def test_a_batch_is_never_larger_than_the_maximum() -> None:
    made, pool, _ = batches(processes=1, batch_max=3)
    for i in range(8):
        made.take(Request(f"b{i}", f"class-{i}"))

    pool.handed[0].callback(1)
    pool.handed[1].callback(3)

    handed = [handed.ids for handed in pool.handed]
    assert handed == [["b0"], ["b1", "b2", "b3"], ["b4", "b5", "b6"]]


def test_messages_are_acked_only_once_their_batch_returns() -> None:
    made, pool, _ = batches(processes=1)
    first, waiting = Request("b1", "a"), Request("b2", "b")
    made.take(first)
    made.take(waiting)
    assert not first.acked

    pool.handed[0].callback(1)

    assert first.acked and not waiting.acked


def test_a_batch_whose_process_died_goes_back_to_the_queue_unacked() -> None:
    made, pool, _ = batches(processes=1)
    request = Request("b1", "a")
    made.take(request)

    try:
        raise WorkerLostError("Worker exited prematurely: signal 9 (SIGKILL).")
    except WorkerLostError:
        pool.handed[0].error_callback(ExceptionInfo())

    assert (request.acked, request.requeued) == (False, True)


def test_each_waiting_booking_lets_the_consumer_take_one_more_message_until_it_is_settled() -> None:
    made, pool, consumer = batches(processes=1, batch_max=2)
    for i in range(3):
        made.take(Request(f"b{i}", f"class-{i}"))
    # Up to a batch per process waits on credit; the third uses the worker's own prefetch
    assert consumer.qos.value == 2 + 2

    pool.handed[0].callback(1)
    pool.handed[1].callback(2)

    assert consumer.qos.value == 2
