"""What `bookings create FILE` reads, and how an import of many bodies is sent and collected."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from ..client import BookingClient, PendingResult
from ..errors import BookingError

Body = dict[str, Any]


class BodyFileError(Exception):
    """FILE cannot be read, is not JSON, or holds neither an object nor an array of objects."""


def load_bodies(file: str) -> Body | list[Body]:
    """One body, or the list of an import; FILE '-' is stdin."""
    text = _read(file)
    name = "stdin" if file == "-" else file
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as error:
        raise BodyFileError(f"{name} is not valid JSON: {error}") from None
    if isinstance(parsed, dict):
        return parsed
    if not isinstance(parsed, list):
        raise BodyFileError(f"{name} holds neither a JSON object nor an array of objects")
    for number, item in enumerate(parsed, start=1):
        if not isinstance(item, dict):
            raise BodyFileError(f"{name}: item {number} of the array is not a JSON object")
    return parsed


def is_series(body: Body) -> bool:
    """A body that creates a series of classes rather than one booking."""
    return "recurrence" in body


def _read(file: str) -> str:
    if file == "-":
        return sys.stdin.read()
    try:
        return Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BodyFileError(f"cannot read {file}: {error}") from None


# Imports: a file holding a list of bodies ----------------------------------------------------


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
    client: BookingClient,
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
    waiting: dict[int, PendingResult] = {}
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
