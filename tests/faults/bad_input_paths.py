"""Sending a bad-input request through the client or the gateway, and classifying the answer as
a success, a refusal in Timekit's error shape, or a crash."""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from api_client import BookingClient, BookingError
from tests.faults.bad_requests import ACTIONS, BadRequest, CreateRequest

# Past the client's default: a slow answer is reported as the timeout it is, not hidden.
ANSWER_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Outcome:
    """How one path answered: "success", "refusal" (a 4xx in Timekit's shape) or "crash"."""

    kind: str
    status: int | None
    detail: str
    created_id: str | None = None
    created_graph: str | None = None


Sender = Callable[[BadRequest], Outcome]


def client_sender(client: BookingClient) -> Sender:
    """Requests through BookingClient's blocking methods."""

    def send(request: BadRequest) -> Outcome:
        try:
            if isinstance(request, CreateRequest):
                return _success(client.create_booking(request.body), 200)
            if request.action in ACTIONS:
                method = getattr(client, request.action)
                return _success(method(request.booking_id, request.message), 200)
            params: dict[str, Any] = request.params if isinstance(request.params, dict) else {}
            if request.action == "move":
                to_class: Any = params.get("owner_booking_id")
                return _success(client.move(request.booking_id, to_class, request.message), 200)
            if request.action == "set_max_seats":
                max_seats: Any = params.get("max_seats")
                moved = client.set_max_seats(request.booking_id, max_seats, request.message)
                return _success(moved, 200)
            pending = client.submit_action(request.booking_id, request.action, request.message)
            return _success(pending.result(), 200)
        except BookingError as error:
            ok = 400 <= error.status < 500
            return Outcome("refusal" if ok else "crash", error.status, _exception_text(error))
        except Exception as error:
            where = traceback.format_exc(limit=-4)
            return Outcome("crash", None, f"{_exception_text(error)}\n{where}")

    return send


def gateway_sender(http: httpx.Client) -> Sender:
    """Requests through the HTTP gateway, with the API key."""

    def send(request: BadRequest) -> Outcome:
        try:
            response = _http_request(http, request)
        except httpx.HTTPError as error:
            return Outcome("crash", None, _exception_text(error))
        return _classified(response)

    return send


def _http_request(http: httpx.Client, request: BadRequest) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if isinstance(request, CreateRequest):
        content = request.body if request.raw else json.dumps(request.body)
        return http.post("/v2/bookings", content=content, headers=headers)
    path = f"/v2/bookings/{quote(str(request.booking_id), safe='')}/{quote(request.action)}"
    content = None if request.http_body is None else json.dumps(request.http_body)
    return http.put(path, content=content, headers=headers)


def _classified(response: httpx.Response) -> Outcome:
    try:
        body = response.json()
    except ValueError:
        body = None
    status = response.status_code
    if status in (200, 201):
        return _success(body, status)
    if 400 <= status < 500 and _timekit_error(body):
        return Outcome("refusal", status, json.dumps(body)[:300])
    return Outcome("crash", status, f"HTTP {status}: {response.text[:300]}")


def _timekit_error(body: Any) -> bool:
    if not isinstance(body, dict):
        return False
    return isinstance(body.get("errors"), dict) or isinstance(body.get("error"), str)


def _success(result: Any, status: int) -> Outcome:
    data = result.get("data") if isinstance(result, dict) else None
    if not isinstance(data, dict):
        return Outcome("crash", status, f"a success without data: {result!r:.300}")
    return Outcome("success", status, "", data.get("id"), data.get("graph"))


def _exception_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {str(error)[:300]}"


@contextmanager
def connected_senders(
    redis_url: str, gateway_base_url: str, api_key: str
) -> Iterator[tuple[BookingClient, dict[str, Sender]]]:
    """A client on Redis and an HTTP client on the gateway, and a sender through each."""
    with (
        BookingClient(redis_url, timeout_s=ANSWER_TIMEOUT_S) as client,
        httpx.Client(
            base_url=gateway_base_url, auth=("", api_key), timeout=ANSWER_TIMEOUT_S
        ) as http,
    ):
        yield client, {"client": client_sender(client), "gateway": gateway_sender(http)}
