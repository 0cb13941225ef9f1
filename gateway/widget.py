"""What a public widget key may do: list open classes and book seats, answered in full or 503.

A widget key (BOOKINGS_WIDGET_KEYS) is shipped inside a public web page, so anyone may hold
it. It reaches two routes, `list_groups` (already without customer data) and `create_booking`
for `group_customer` bodies; every other route, and a class body, is 403. Its booking waits for
the worker's answer, because booking.js takes any 2xx, a 202 too, as booked; past
BOOKINGS_WIDGET_WAIT_S it answers 503 with Retry-After, and the widget's retry reuses the
command's idempotency key, so it books once:

- the `Idempotency-Key` header, if sent; else
- a key derived from the body: `widget:` + sha256(canonical JSON of the body + ":" +
  floor(now / 60 s)). It is remembered in Redis under the body's own digest for 60 s after the
  last attempt, so a retry that crosses a minute boundary still finds the first key, and the
  same body sent again a minute after its last attempt is a new booking.

Both are prefixed `widget:`, so a widget cannot replay a key an API client chose.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError

from api_client import BookingClient, BookingError
from api_client.redis_urls import DEFAULT_MASTER_NAME, async_redis_client

from .answers import call, error_response
from .bodies import json_object
from .results import ResultWatcher

# The endpoints (route names in routes.py) a widget key reaches; any other is 403.
WIDGET_ROUTES = frozenset({"list_groups", "get_group", "create_booking"})
# booking.js shows an error and the visitor submits again; a few seconds lets a busy worker
# catch up without making the visitor wait long.
RETRY_AFTER_S = 5
# Long enough to cover a retry after BOOKINGS_WIDGET_WAIT_S and Retry-After, short enough that
# one visitor booking the same class again on purpose a little later is a new booking.
WINDOW_S = 60
MEMORY_PREFIX = "bookings:gateway:widget-key:"
KEY_PREFIX = "widget:"

log = logging.getLogger(__name__)


class ForbiddenError(BookingError):
    """The key is a widget key and the request is not one a widget may make."""

    status = 403


def refuse_unless_widget_route(route_name: str | None) -> None:
    if route_name not in WIDGET_ROUTES:
        raise ForbiddenError(
            "a widget key may only list open classes and book seats (graph group_customer)"
        )


def canonical(body: dict[str, Any]) -> bytes:
    """The body as one byte string whatever its key order or spacing."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def derived_key(body: dict[str, Any], now_s: float, window_s: int = WINDOW_S) -> str:
    """The key of a widget booking sent without one: its body within a short window."""
    window = int(now_s // window_s)
    return KEY_PREFIX + hashlib.sha256(canonical(body) + f":{window}".encode()).hexdigest()


class RetryKeys:
    """The derived key of a body remembered between a widget's attempts, in Redis."""

    def __init__(
        self,
        redis_url: str,
        master_name: str = DEFAULT_MASTER_NAME,
        window_s: int = WINDOW_S,
    ) -> None:
        self._redis = async_redis_client(redis_url, master_name)
        self._window_s = window_s

    async def key_for(self, body: dict[str, Any], now_s: float) -> str:
        """The key the first attempt with this body took, else one derived now."""
        candidate = derived_key(body, now_s, self._window_s)
        name = MEMORY_PREFIX + hashlib.sha256(canonical(body)).hexdigest()
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(name, candidate, nx=True, ex=self._window_s)
                pipe.get(name)
                pipe.expire(name, self._window_s)
                _, remembered, _ = await pipe.execute()
        except RedisError as error:
            # Without the memory the derived key still holds within its minute.
            log.warning("widget retry keys unavailable (%s); using the derived key", error)
            return candidate
        return remembered.decode() if isinstance(remembered, bytes) else candidate

    async def close(self) -> None:
        await self._redis.aclose()


class WidgetBookings:
    """POST /v2/bookings for a widget key: seats only, answered 201 (or a refusal) or 503."""

    def __init__(
        self, client: BookingClient, watcher: ResultWatcher, wait_s: float, keys: RetryKeys
    ) -> None:
        self._client = client
        self._watcher = watcher
        self._wait_s = wait_s
        self._keys = keys

    async def create(self, request: Request, idempotency_key: str | None) -> JSONResponse:
        body = await json_object(request)
        if body.get("graph") != "group_customer":
            raise ForbiddenError("a widget key may only book seats (graph group_customer)")
        if idempotency_key is not None:
            key = KEY_PREFIX + idempotency_key
        else:
            key = await self._keys.key_for(body, time.time())
        handle = await call(self._client.submit_booking, body, key)
        stored = await self._watcher.wait(handle.result_key, self._wait_s)
        if stored is None:
            return unanswered()
        try:
            result = handle.result_from_stored(stored)
        except BookingError as refusal:
            retry = {"Retry-After": str(RETRY_AFTER_S)} if refusal.status == 503 else None
            return error_response(refusal, retry)
        return JSONResponse(for_the_booker(result), status_code=201)


def unanswered() -> JSONResponse:
    return JSONResponse(
        {"error": "the booking is not answered yet: send the same request again to learn it"},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


# What a widget's answer shows of a seat booking: the booker's own fields and the class's
# public ones. Anything else, including fields added later, stays out until listed here.
_BOOKING_FIELDS = frozenset(
    {
        "id",
        "state",
        "graph",
        "completed",
        "created_at",
        "updated_at",
        "available_actions",
        "seats",
        "owner_booking_id",
        "resource_id",
        "project_id",
        "meta",
        "attributes",
        "related_bookings",
    }
)
_ATTRIBUTE_FIELDS = frozenset({"event_info", "group_booking", "customer", "waitlist"})
_CLASS_SUMMARY_FIELDS = frozenset(
    {"id", "state", "graph", "completed", "created_at", "updated_at", "seats"}
)


def for_the_booker(result: dict[str, Any]) -> dict[str, Any]:
    """A seat booking's (or a term's) answer with nobody's data but the booker's."""
    data = result.get("data")
    if isinstance(data, dict) and isinstance(data.get("bookings"), list):
        shown = [_own_booking(booking) for booking in data["bookings"]]
        return {**result, "data": {**data, "bookings": shown}}
    if isinstance(data, dict):
        return {**result, "data": _own_booking(data)}
    return {key: value for key, value in result.items() if key != "data"}


def _own_booking(booking: Any) -> dict[str, Any]:
    if not isinstance(booking, dict):
        return {}
    shown = {key: value for key, value in booking.items() if key in _BOOKING_FIELDS}
    attributes = shown.get("attributes")
    if isinstance(attributes, dict):
        shown["attributes"] = {
            key: value for key, value in attributes.items() if key in _ATTRIBUTE_FIELDS
        }
    related = shown.get("related_bookings")
    if isinstance(related, list):
        # Only the class itself, as a summary: never the other seat bookings or their customers.
        shown["related_bookings"] = [
            {key: value for key, value in other.items() if key in _CLASS_SUMMARY_FIELDS}
            for other in related
            if isinstance(other, dict) and other.get("graph") == "group_owner"
        ]
    return shown
