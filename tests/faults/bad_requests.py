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
    bad_ints,
    class_bodies,
    json_scalars,
    json_values,
    junk_texts,
    mutated,
    names,
    seat_bodies,
)

# The actions that take at most a message: each has a client method of its name. The run's
# classes start in a month, so a check-in is always refused: outside its window, or at a class
# that does not track attendance (409, nothing changed).
ACTIONS = (
    "cancel", "cancel_by_customer", "cancel_by_owner", "complete", "accept_offer",
    "decline_offer", "check_in",
)  # fmt: skip
# The actions with arguments of their own besides the message (`ActionRequest.params`).
ACTIONS_WITH_PARAMS = ("move", "set_max_seats")


@dataclass(frozen=True)
class ClassOfBooking:
    """The class the request's booking is in (a move to where it already is)."""


@dataclass
class KnownIds:
    """Ids of the bookings the run created, and of the classes among them."""

    bookings: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    class_of: dict[str, str] = field(default_factory=dict)  # seat booking -> its class


@dataclass(frozen=True)
class CreateRequest:
    """POST /v2/bookings; `raw` bodies are sent as text as they are, not as JSON."""

    body: Any
    raw: bool = False


@dataclass(frozen=True)
class ActionRequest:
    """PUT /v2/bookings/{booking_id}/{action}; `http_body` None sends no body. `params`: a
    move's or set_max_seats' own arguments, as the client's method takes them."""

    booking_id: Any
    action: Any
    message: Any
    http_body: Any
    params: Any = None


BadRequest = CreateRequest | ActionRequest


def resolved(request: BadRequest, known_ids: KnownIds) -> BadRequest:
    """The request with each KnownBooking replaced by a real id (a fresh one if none yet)."""
    if isinstance(request, CreateRequest):
        return CreateRequest(_resolve(request.body, known_ids, None), request.raw)
    booking_id = _resolve(request.booking_id, known_ids, None)
    return ActionRequest(
        booking_id,
        request.action,
        request.message,
        _resolve(request.http_body, known_ids, booking_id),
        _resolve(request.params, known_ids, booking_id),
    )


def _resolve(value: Any, known_ids: KnownIds, booking_id: Any) -> Any:
    if isinstance(value, KnownBooking):
        pool = known_ids.classes if value.of_class else known_ids.bookings
        return pool[value.index % len(pool)] if pool else str(uuid.uuid4())
    if isinstance(value, ClassOfBooking):
        return known_ids.class_of.get(str(booking_id), str(uuid.uuid4()))
    if isinstance(value, dict):
        return {key: _resolve(item, known_ids, booking_id) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, known_ids, booking_id) for item in value]
    return value


def describe(request: BadRequest, limit: int = 600) -> str:
    """The request as one line of JSON-ish text, cut at `limit` characters."""
    if isinstance(request, CreateRequest):
        text = f"POST /v2/bookings {_as_text(request.body, request.raw)}"
    else:
        text = (
            f"PUT /v2/bookings/{request.booking_id!r}/{request.action!r} "
            f"message={request.message!r} params={request.params!r} "
            f"body={_as_text(request.http_body, False)}"
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
    action = draw(
        st.sampled_from(ACTIONS + ACTIONS_WITH_PARAMS)
        | st.sampled_from(["explode", "", "CANCEL", "Move", "accept"])
    )
    message = draw(st.none() | names | junk_texts | json_scalars)
    params = draw(action_params(action))
    matching = {action: {**(params or {}), **({} if message is None else {"message": message})}}
    http_body = draw(st.sampled_from([matching, None, {}]) | json_values)
    return ActionRequest(booking_id, action, message, http_body, params)


@st.composite
def line_action_requests(draw: st.DrawFn) -> ActionRequest:
    """A well-formed offer answer or move on a booking of the run: refused when the booking
    was not offered, its offer lapsed, it waits, or the move goes to its own class or to
    none (409, 404, 422), or applied."""
    booking_id = KnownBooking(draw(st.integers(0, 10_000)))
    action = draw(st.sampled_from(("accept_offer", "decline_offer", "move", "move")))
    message = draw(st.none() | names)
    params = draw(action_params(action))
    http_body = {action: {**(params or {}), **({} if message is None else {"message": message})}}
    return ActionRequest(booking_id, action, message, http_body, params)


def action_params(action: str) -> st.SearchStrategy[dict[str, Any] | None]:
    """A move's target (its own class, another of the run's, one that does not exist, junk)
    or set_max_seats' seats (below what is taken, at the edges, junk); None for the others."""
    if action == "move":
        target = (
            st.just(ClassOfBooking())
            | st.builds(KnownBooking, st.integers(0, 10_000), st.just(True))
            | st.just(LATEST_CLASS)
            | bad_ids
        )
        return st.fixed_dictionaries({"owner_booking_id": target})
    if action == "set_max_seats":
        seats = st.integers(-3, 12) | st.sampled_from([100_000, 100_001]) | bad_ints
        return st.fixed_dictionaries({"max_seats": seats})
    return st.none()


def bad_requests(class_ids: Sequence[str], anchor: datetime) -> st.SearchStrategy[BadRequest]:
    """Mostly mutated class and seat bodies; some valid ones, random JSON, raw text, actions."""
    classes, seats = class_bodies(anchor), seat_bodies(class_ids)
    raw_texts = st.sampled_from(["", "{", "not json", "[1,", "\ufeff{}", "{" * 5_000]) | st.text()
    weighted: list[tuple[int, st.SearchStrategy[BadRequest]]] = [
        (3, raw_texts.map(lambda text: CreateRequest(text, raw=True))),
        (6, json_values.map(CreateRequest)),
        (12, action_requests()),
        (8, line_action_requests()),
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
