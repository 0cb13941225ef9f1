"""Importing a list of bodies: enqueue them all, then collect each item's outcome in order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from ..errors import BookingError
from .body_files import Body, is_series
from .client_protocol import CommandClient, PendingAnswer


@dataclass(frozen=True)
class Outcome:
    """What became of item `number` (counted from 1) of the file."""

    number: int
    response: dict[str, Any] | None = None
    error: BookingError | None = None

    def as_json(self) -> dict[str, Any]:
        """The response dict, or the error in Timekit's shape."""
        if self.error is not None:
            return self.error.to_result()
        return self.response or {}


def item_key(idempotency_key: str | None, number: int) -> str | None:
    """Each item's own key, derived from the import's, so that the import can be rerun."""
    return None if idempotency_key is None else f"{idempotency_key}-{number}"


def import_bodies(
    client: CommandClient,
    bodies: list[Body],
    idempotency_key: str | None,
    advance: Callable[[], None],
) -> list[Outcome]:
    """Every item's outcome, in file order; `advance` is called once per finished item."""
    outcomes: dict[int, Outcome] = {}

    def record(outcome: Outcome) -> None:
        outcomes[outcome.number] = outcome
        advance()

    # Single bookings are all enqueued first, so the workers take them in parallel while the
    # series (one blocking command each) are created and the answers are collected.
    waiting: dict[int, PendingAnswer] = {}
    for number, body in enumerate(bodies, start=1):
        if not is_series(body):
            try:
                waiting[number] = client.submit_booking(body, item_key(idempotency_key, number))
            except BookingError as error:  # refused by the client's own validation
                record(Outcome(number, error=error))
    for number, body in enumerate(bodies, start=1):
        if is_series(body):
            create = partial(client.create_recurring, body, item_key(idempotency_key, number))
            record(_attempt(number, create))
    for number, pending in waiting.items():
        record(_attempt(number, pending.result))
    return [outcomes[number] for number in sorted(outcomes)]


def _attempt(number: int, call: Callable[[], dict[str, Any]]) -> Outcome:
    try:
        return Outcome(number, response=call())
    except BookingError as error:
        return Outcome(number, error=error)
