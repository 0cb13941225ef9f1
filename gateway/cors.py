"""Cross-origin requests from the websites in BOOKINGS_CORS_ORIGINS, and from no other."""

from __future__ import annotations

from collections.abc import Collection

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Send

# What booking.js (GET, POST) and Timekit's JS SDK (PUT, DELETE too) send.
METHODS = ("GET", "POST", "PUT", "DELETE")
HEADERS = (
    "Authorization",
    "Content-Type",
    "Timekit-Timezone",
    "Timekit-Context",
    "Timekit-App",
    "Idempotency-Key",
)
# A widget's 503 says when to retry; a 202 says where its job is.
EXPOSED = ("Retry-After", "Location")
PREFLIGHT_MAX_AGE_S = 600


class OriginsOnlyCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, except that an origin not listed gets no CORS header at all.

    Starlette answers its preflight 400 with Access-Control-Allow-Methods, -Headers and
    -Max-Age, and its other requests with Access-Control-Expose-Headers; a browser refuses
    them either way, but an origin not listed should learn nothing of the rules.
    """

    def __init__(
        self,
        app: ASGIApp,
        origins: Collection[str],
        methods: Collection[str],
        headers: Collection[str],
        exposed: Collection[str],
        max_age_s: int,
    ) -> None:
        super().__init__(
            app,
            allow_origins=origins,
            allow_methods=methods,
            allow_headers=headers,
            max_age=max_age_s,
        )
        self._exposed = ", ".join(exposed)

    async def send(self, message: Message, send: Send, request_headers: Headers) -> None:
        origin = request_headers.get("origin")
        if message["type"] == "http.response.start" and origin and self.is_allowed_origin(origin):
            message.setdefault("headers", [])
            MutableHeaders(scope=message)["Access-Control-Expose-Headers"] = self._exposed
        await super().send(message, send, request_headers)

    def preflight_response(self, request_headers: Headers) -> Response:
        if not self.is_allowed_origin(origin=request_headers["origin"]):
            return JSONResponse(
                {"error": "this origin may not call the gateway from a browser"},
                status_code=403,
                headers={"Vary": "Origin"},
            )
        return super().preflight_response(request_headers)


def install(app: FastAPI, origins: Collection[str]) -> None:
    """Installed even with no origins, so a preflight is a 403 rather than the route's 405."""
    app.add_middleware(
        OriginsOnlyCORSMiddleware,
        origins=tuple(origins),
        methods=METHODS,
        headers=HEADERS,
        exposed=EXPOSED,
        max_age_s=PREFLIGHT_MAX_AGE_S,
    )
