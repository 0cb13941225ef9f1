"""Workloads, client processes that keep requests in flight, and what each timed phase measured."""

from __future__ import annotations

import multiprocessing
import queue
import statistics
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

from api_client import BookingClient, BookingError, PendingResult
from harness.bodies import class_body, seat_body

# Far longer than any answer should take under load, yet a stuck run still ends.
RESULT_TIMEOUT_S = 60.0
BARRIER_TIMEOUT_S = 300.0

# Large enough that no workload ever fills a class: a refusal would be cheaper than a booking
# and flatter the figures. It is the contract's upper bound on max_seats.
ROOMY_CLASS_SEATS = 100_000

Submit = Callable[[int], PendingResult]


@dataclass(frozen=True)
class Workload:
    """What one measured phase sends; no classes means the no-op ping."""

    label: str
    unit: str
    class_ids: tuple[str, ...] = ()
    target_ratio: float | None = None
    # Of the p99 latency to the ceiling's p99, measured under the same load.
    p99_target_ratio: float | None = None


def create_classes(client: BookingClient, count: int) -> tuple[str, ...]:
    """`count` roomy classes, created concurrently, in creation order."""
    pending = [client.submit_booking(class_body(max_seats=ROOMY_CLASS_SEATS)) for _ in range(count)]
    return tuple(str(handle.result()["data"]["id"]) for handle in pending)


def submitter(workload: Workload, client: BookingClient, client_index: int, clients: int) -> Submit:
    """A function that sends request number `sequence` of this workload and returns its handle."""
    if not workload.class_ids:
        # BookingClient.ping() waits for its answer; the benchmark needs the handle at once, so
        # it sends the same task the same way ping() does.
        return lambda _sequence: client.submit_ping()
    classes = workload.class_ids
    return lambda sequence: client.submit_booking(
        seat_request(classes, client_index, clients, sequence)
    )


def seat_request(
    classes: tuple[str, ...], client_index: int, clients: int, sequence: int
) -> dict[str, Any]:
    """The body of a client's booking number `sequence`: one seat in one of `classes`."""
    # Each client walks the classes from its own starting point, so the requests in flight at
    # any moment are for different classes.
    offset = client_index * max(1, len(classes) // clients)
    class_id = classes[(offset + sequence) % len(classes)]
    return seat_body(class_id, seats=1, name=f"Client {client_index} Seat {sequence}")


@dataclass(frozen=True)
class LoadShape:
    """How the clients drive one workload; counts are per client process."""

    clients: int
    in_flight: int
    warmup_per_client: int
    requests_per_client: int


@dataclass
class ClientRun:
    """One client process's phase: its span on the shared monotonic clock, and its latencies."""

    started: float
    finished: float
    latencies_s: list[float]
    errors: list[str]
    # CPU time the client process used over the run (time.process_time), its start-up apart.
    cpu_s: float = 0.0


@dataclass(frozen=True)
class Measurement:
    """One workload over all clients: answers per second and enqueue-to-result latencies."""

    completed: int
    errors: int
    first_error: str | None
    elapsed_s: float
    latencies_ms: list[float]
    client_cpu_s: float = 0.0  # summed over the client processes, their measured runs only

    @property
    def per_second(self) -> float:
        return self.completed / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def percentile_ms(self, percent: int) -> float:
        if len(self.latencies_ms) < 2:
            return self.latencies_ms[0] if self.latencies_ms else float("nan")
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[percent - 1]


@dataclass(frozen=True)
class Timing:
    """One timed phase: how many things it moved, and how long that took."""

    label: str
    count: int
    unit: str
    elapsed_s: float

    @property
    def per_second(self) -> float:
        return self.count / self.elapsed_s if self.elapsed_s > 0 else 0.0


@dataclass(frozen=True)
class Comparison:
    """A figure and its baseline, compared by time taken (lower is better) or by rate."""

    baseline: Timing
    measured: Timing
    by: str  # "seconds": measured / baseline seconds; "rate": measured / baseline per second
    target_ratio: float
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        if self.by == "seconds":
            return _quotient(self.measured.elapsed_s, self.baseline.elapsed_s)
        return _quotient(self.measured.per_second, self.baseline.per_second)

    @property
    def target(self) -> str:
        # Time taken must stay under its target; a rate must reach its target.
        return f"{'<=' if self.by == 'seconds' else '>='} {self.target_ratio:.1f}x"

    @property
    def meets_target(self) -> bool:
        if self.by == "seconds":
            return self.ratio <= self.target_ratio
        return self.ratio >= self.target_ratio


def _quotient(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else float("inf")


@dataclass(frozen=True)
class SeriesRun:
    """The three timed phases of one run: the two baselines and the series."""

    sequential: Timing
    pipelined: Timing
    series: Timing


def run_window(submit: Submit, count: int, in_flight: int, first: int = 0) -> ClientRun:
    """Send `count` requests, never more than `in_flight` unanswered, collecting oldest first."""
    window: deque[tuple[float, PendingResult]] = deque()
    run = ClientRun(time.monotonic(), 0.0, [], [])
    cpu_started = time.process_time()
    for sequence in range(first, first + count):
        if len(window) >= in_flight:
            _collect(window.popleft(), run)
        window.append((time.monotonic(), submit(sequence)))
    while window:
        _collect(window.popleft(), run)
    run.finished = time.monotonic()
    run.cpu_s = time.process_time() - cpu_started
    return run


def _collect(sent: tuple[float, PendingResult], run: ClientRun) -> None:
    sent_at, handle = sent
    try:
        handle.result()
    except BookingError as error:
        run.errors.append(f"{type(error).__name__}: {error}")
        return
    run.latencies_s.append(time.monotonic() - sent_at)


def measure(redis_url: str, workload: Workload, shape: LoadShape) -> Measurement:
    """Start the client processes, let them warm up, then measure them all at once."""
    return run_clients(_client_main, (redis_url, workload, shape), shape.clients)


def run_clients(target: Callable[..., None], args: tuple[Any, ...], clients: int) -> Measurement:
    """`clients` processes of `target(*args, index, barrier, results)`, their runs combined."""
    # Spawned, not forked: each client must build its own Celery app and result consumer.
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(clients)
    results: Queue[ClientRun | str] = context.Queue()
    processes = [
        context.Process(target=target, args=(*args, index, barrier, results), daemon=True)
        for index in range(clients)
    ]
    for process in processes:
        process.start()
    runs = [_next_run(results, processes) for _ in processes]
    for process in processes:
        process.join()
    return _combine(runs)


def _client_main(
    redis_url: str,
    workload: Workload,
    shape: LoadShape,
    index: int,
    barrier: Barrier,
    results: Queue[ClientRun | str],
) -> None:
    try:
        with BookingClient(redis_url, timeout_s=RESULT_TIMEOUT_S) as client:
            submit = submitter(workload, client, index, shape.clients)
            run_window(submit, shape.warmup_per_client, shape.in_flight)
            barrier.wait(BARRIER_TIMEOUT_S)
            first = shape.warmup_per_client
            results.put(run_window(submit, shape.requests_per_client, shape.in_flight, first))
    except Exception as error:
        barrier.abort()  # the other clients stop waiting for this one
        results.put(f"client {index} failed: {error!r}")


def _next_run(results: Queue[ClientRun | str], processes: Sequence[BaseProcess]) -> ClientRun:
    while True:
        try:
            outcome = results.get(timeout=1.0)
        except queue.Empty:
            if any(process.exitcode not in (None, 0) for process in processes):
                raise RuntimeError("a client process died without reporting") from None
            continue
        if isinstance(outcome, str):
            raise RuntimeError(outcome)
        return outcome


def merged(measurements: Sequence[Measurement]) -> Measurement:
    """Several measured windows of one path as one: their answers over their summed time."""
    errors = [m.first_error for m in measurements if m.first_error]
    return Measurement(
        completed=sum(m.completed for m in measurements),
        errors=sum(m.errors for m in measurements),
        first_error=errors[0] if errors else None,
        elapsed_s=sum(m.elapsed_s for m in measurements),
        latencies_ms=[latency for m in measurements for latency in m.latencies_ms],
        client_cpu_s=sum(m.client_cpu_s for m in measurements),
    )


def _combine(runs: list[ClientRun]) -> Measurement:
    errors = [error for run in runs for error in run.errors]
    latencies = [latency * 1000 for run in runs for latency in run.latencies_s]
    return Measurement(
        completed=len(latencies),
        errors=len(errors),
        first_error=errors[0] if errors else None,
        elapsed_s=max(run.finished for run in runs) - min(run.started for run in runs),
        latencies_ms=latencies,
        client_cpu_s=sum(run.cpu_s for run in runs),
    )
