"""The Timekit-Timezone header: every timestamp the gateway answers, shown in the caller's zone.

booking.js shows the clock time of the string it receives, so a class at 09:00 in New York
must reach a New York visitor as `...T09:00:00-05:00`, not `...T14:00:00+00:00`. The worker
answers in UTC; the gateway re-renders the RFC 3339 strings of the contract's timestamp fields
(the same instants, another offset) in each answer it returns. Doing it here keeps the zone off
the queue and out of every query's contract, and covers every route, commands and jobs alike.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Header, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.responses import Response

from api_client import InvalidRequestError

HEADER = "Timekit-Timezone"
# Every timestamp field of api_client.contract.responses, wherever it is nested.
TIMESTAMP_FIELDS = frozenset(
    {"start", "end", "created_at", "updated_at", "offer_expires_at", "delivered_at"}
)
ZoneHeader = Header(
    default=None,
    alias=HEADER,
    description="An IANA zone (America/New_York): timestamps are answered in it. 422 if unknown.",
)


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone `name`; InvalidRequestError (422) naming the header if there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a directory, "America"
        raise InvalidRequestError(errors={HEADER: [f"unknown time zone {name!r}"]}) from None


def require_zone(request: Request, timekit_timezone: str | None = ZoneHeader) -> None:
    """Checks the header (after the key: a caller without one learns nothing) and notes the
    zone in `request.state.zone` for ZonedRoute."""
    request.state.zone = None if timekit_timezone is None else zone_named(timekit_timezone)


def in_zone(value: Any, zone: ZoneInfo) -> Any:
    """`value` (decoded JSON) with every timestamp field's string rendered in `zone`."""
    if isinstance(value, list):
        return [in_zone(item, zone) for item in value]
    if not isinstance(value, dict):
        return value
    shown = {}
    for key, item in value.items():
        if key in TIMESTAMP_FIELDS and isinstance(item, str):
            shown[key] = _rendered(item, zone)
        else:
            shown[key] = in_zone(item, zone)
    return shown


def _rendered(text: str, zone: ZoneInfo) -> str:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return text if moment.tzinfo is None else moment.astimezone(zone).isoformat()


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class ZonedRoute(APIRoute):
    """A route whose JSON answer is re-rendered in the zone `require_zone` noted, if any."""

    def get_route_handler(self) -> Handler:
        handle = super().get_route_handler()

        async def zoned(request: Request) -> Response:
            response = await handle(request)
            zone = getattr(request.state, "zone", None)
            if zone is None or not isinstance(response, JSONResponse):
                return response
            headers = {
                name: value
                for name, value in response.headers.items()
                if name.lower() not in ("content-length", "content-type")
            }
            body = in_zone(json.loads(bytes(response.body)), zone)
            return JSONResponse(body, status_code=response.status_code, headers=headers)

        return zoned
