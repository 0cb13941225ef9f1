"""The requests of the bad-input drill: creates and actions, their ids resolved against what
the run created, and the weighted mix of them that hypothesis draws."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hypothesis import strategies as st

from tests.faults.bad_bodies import (
    LATEST_CLASS,
    KnownBooking,
    at_the_edge,
    bad_ids,
    class_bodies,
    json_scalars,
    json_values,
    junk_texts,
    mutated,
    names,
    seat_bodies,
)

ACTIONS = ("cancel", "cancel_by_customer", "cancel_by_owner", "complete")


@dataclass
class KnownIds:
    """Ids of the bookings the run created, and of the classes among them."""

    bookings: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CreateRequest:
    """POST /v2/bookings; `raw` bodies are sent as text as they are, not as JSON."""

    body: Any
    raw: bool = False


@dataclass(frozen=True)
class ActionRequest:
    """PUT /v2/bookings/{booking_id}/{action}; `http_body` None sends no body."""

    booking_id: Any
    action: Any
    message: Any
    http_body: Any


BadRequest = CreateRequest | ActionRequest


def resolved(request: BadRequest, known_ids: KnownIds) -> BadRequest:
    """The request with each KnownBooking replaced by a real id (a fresh one if none yet)."""
    if isinstance(request, CreateRequest):
        return CreateRequest(_resolve(request.body, known_ids), request.raw)
    return ActionRequest(
        _resolve(request.booking_id, known_ids),
        request.action,
        request.message,
        _resolve(request.http_body, known_ids),
    )


def _resolve(value: Any, known_ids: KnownIds) -> Any:
    if isinstance(value, KnownBooking):
        pool = known_ids.classes if value.of_class else known_ids.bookings
        return pool[value.index % len(pool)] if pool else str(uuid.uuid4())
    if isinstance(value, dict):
        return {key: _resolve(item, known_ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, known_ids) for item in value]
    return value


def describe(request: BadRequest, limit: int = 600) -> str:
    """The request as one line of JSON-ish text, cut at `limit` characters."""
    if isinstance(request, CreateRequest):
        text = f"POST /v2/bookings {_as_text(request.body, request.raw)}"
    else:
        text = (
            f"PUT /v2/bookings/{request.booking_id!r}/{request.action!r} "
            f"message={request.message!r} body={_as_text(request.http_body, False)}"
        )
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} chars)"


def _as_text(body: Any, raw: bool) -> str:
    return repr(body) if raw else json.dumps(body, default=repr)


# Strategies ---------------------------------------------------------------------------------


@st.composite
def action_requests(draw: st.DrawFn) -> ActionRequest:
    """An action on a booking of the run or on an id that names nothing, with junk mixed in."""
    booking_id = draw(
        st.builds(KnownBooking, st.integers(0, 10_000)) | st.just(LATEST_CLASS) | bad_ids
    )
    action = draw(st.sampled_from(ACTIONS) | st.sampled_from(["explode", "", "CANCEL"]))
    message = draw(st.none() | names | junk_texts | json_scalars)
    matching = {action: {} if message is None else {"message": message}}
    http_body = draw(st.sampled_from([matching, None, {}]) | json_values)
    return ActionRequest(booking_id, action, message, http_body)


def bad_requests(class_ids: Sequence[str], anchor: datetime) -> st.SearchStrategy[BadRequest]:
    """Mostly mutated class and seat bodies; some valid ones, random JSON, raw text, actions."""
    classes, seats = class_bodies(anchor), seat_bodies(class_ids)
    raw_texts = st.sampled_from(["", "{", "not json", "[1,", "\ufeff{}", "{" * 5_000]) | st.text()
    weighted: list[tuple[int, st.SearchStrategy[BadRequest]]] = [
        (3, raw_texts.map(lambda text: CreateRequest(text, raw=True))),
        (6, json_values.map(CreateRequest)),
        (12, action_requests()),
        (6, classes.map(CreateRequest)),
        (8, seats.map(CreateRequest)),
        (8, at_the_edge(classes).map(CreateRequest)),
        (7, at_the_edge(seats).map(CreateRequest)),
        (25, mutated(classes).map(CreateRequest)),
        (25, mutated(seats).map(CreateRequest)),
    ]
    return weighted_choice(weighted)


@st.composite
def weighted_choice(draw: st.DrawFn, weighted: list[tuple[int, st.SearchStrategy[Any]]]) -> Any:
    point = draw(st.integers(0, sum(weight for weight, _ in weighted) - 1))
    for weight, strategy in weighted:
        if point < weight:
            return draw(strategy)
        point -= weight
    raise AssertionError("the weights cover every point")
