"""The workloads: the no-op ping, seat bookings over many classes, seat bookings in one class."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from api_client import BookingClient, PendingResult
from harness.bodies import class_body, seat_body

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
