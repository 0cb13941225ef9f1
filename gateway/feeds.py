"""Calendar feeds over HTTP: the owner issues and revokes tokens; calendar apps read the feeds.

The token endpoints sit behind the API key (a widget key is 403, like every route not listed
in gateway/widget.py). The feeds themselves take no key: calendar apps send none, so the token
in the query is the credential, checked by the worker by its digest. They answer iCalendar with
a strong ETag, and `If-None-Match` with 304 (apps poll every few minutes). A wrong, revoked or
foreign token is 404 with one message, after the same round trip as a right one. Like the
action-link pages, the feeds are left out of the OpenAPI document, which describes the JSON
API under the key.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict

from api_client import BookingClient
from api_client.contract.feeds import Email
from api_client.feed_tokens import feed_path

from . import openapi as doc
from .answers import answer, call
from .bodies import json_object, parsed_as
from .results import ResultWatcher
from .routes import IdempotencyKey

CALENDAR = "text/calendar; charset=utf-8"
# Apps may keep the feed, but must ask again (with its ETag) before using it.
CACHE_CONTROL = "private, no-cache"
_TEXT = {"type": "string"}
_MAYBE_TEXT = {"type": ["string", "null"]}
TOKEN_SCHEMA = {
    "title": "FeedTokenResponse",
    "type": "object",
    "required": ["data"],
    "properties": {
        "data": {
            "type": "object",
            "required": ["id", "calendar_id", "customer_email", "created_at", "revoked_at"],
            "properties": {
                "id": _TEXT,
                "calendar_id": _MAYBE_TEXT,
                "customer_email": _MAYBE_TEXT,
                "created_at": _TEXT,
                "revoked_at": _MAYBE_TEXT,
                "token": _TEXT,
                "feed_path": _TEXT,
                "feed_url": _TEXT,
            },
        }
    },
}
_TOKEN_CONTENT = {"application/json": {"schema": TOKEN_SCHEMA}}
ISSUED = {
    **doc.responses(400),
    201: {
        "description": "issued: token, feed_path and feed_url are shown in this answer only",
        "content": _TOKEN_CONTENT,
    },
    **doc.pending(),
}
REVOKED = {
    **doc.responses(404),
    200: {"description": "revoked (again: the same answer)", "content": _TOKEN_CONTENT},
    **doc.pending(),
}


class CustomerFeedBody(BaseModel):
    """`{"email": "..."}`: the customer whose confirmed seats the feed lists."""

    model_config = ConfigDict(extra="forbid")
    email: Email


def feed_tokens_router(
    client: BookingClient, watcher: ResultWatcher, wait_s: float, guard: Any
) -> APIRouter:
    """Issuing and revoking feed tokens, for the owner's API key."""
    router = APIRouter(prefix="/v2", dependencies=[Depends(guard)])

    @router.post("/calendars/{calendar_id}/feed_tokens", status_code=201, responses=ISSUED)
    async def issue_calendar_feed_token(
        calendar_id: str, request: Request, idempotency_key: str | None = IdempotencyKey
    ) -> JSONResponse:
        """A token for the feed of every class of the calendar, from 30 days back on."""
        token, handle = await call(client.submit_feed_token, calendar_id, None, idempotency_key)
        issued = await answer(handle, watcher, wait_s, 201)
        return with_token_shown(issued, str(request.base_url), token, calendar_id)

    @router.post(
        "/customers/feed_tokens",
        status_code=201,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": CustomerFeedBody.model_json_schema()}},
            }
        },
        responses=ISSUED,
    )
    async def issue_customer_feed_token(
        request: Request, idempotency_key: str | None = IdempotencyKey
    ) -> JSONResponse:
        """A token for the feed of one customer's confirmed seats."""
        body = parsed_as(CustomerFeedBody, await json_object(request))
        token, handle = await call(client.submit_feed_token, None, body.email, idempotency_key)
        issued = await answer(handle, watcher, wait_s, 201)
        return with_token_shown(issued, str(request.base_url), token, None)

    @router.delete("/feed_tokens/{token_id}", responses=REVOKED)
    async def revoke_feed_token(
        token_id: str, idempotency_key: str | None = IdempotencyKey
    ) -> JSONResponse:
        """The token's feed answers 404 from now on."""
        handle = await call(client.submit_revoke_feed_token, token_id, idempotency_key)
        return await answer(handle, watcher, wait_s, 200)

    return router


def with_token_shown(
    issued: JSONResponse, base_url: str, token: str, calendar_id: str | None
) -> JSONResponse:
    """The answer with the token and its feed's URL: the worker never had them, so a pending
    answer (202) carries them too, or they would be lost."""
    if issued.status_code not in (201, 202):
        return issued
    body = json.loads(bytes(issued.body))
    path = feed_path(token, calendar_id)
    feed_url = base_url.rstrip("/") + path
    body["data"] = {**body["data"], "token": token, "feed_path": path, "feed_url": feed_url}
    headers = {"Location": issued.headers["location"]} if "location" in issued.headers else None
    return JSONResponse(body, status_code=issued.status_code, headers=headers)


def feeds_router(client: BookingClient) -> APIRouter:
    """The feeds calendar apps subscribe to: no key, the token in the query."""
    router = APIRouter(prefix="/v2", include_in_schema=False)

    @router.get("/calendars/{calendar_id}/feed.ics")
    async def calendar_feed(calendar_id: str, request: Request, token: str = "") -> Response:
        result = await call(client.read_feed, token, calendar_id)
        return _feed_response(result["data"], request)

    @router.get("/customers/feed.ics")
    async def customer_feed(request: Request, token: str = "") -> Response:
        result = await call(client.read_feed, token, None)
        return _feed_response(result["data"], request)

    return router


def _feed_response(feed: dict[str, str], request: Request) -> Response:
    headers = {"ETag": feed["etag"], "Cache-Control": CACHE_CONTROL}
    if if_none_match_names(request.headers.get("if-none-match"), feed["etag"]):
        return Response(status_code=304, headers=headers)
    return Response(feed["ics"].encode("utf-8"), media_type=CALENDAR, headers=headers)


def if_none_match_names(if_none_match: str | None, etag: str) -> bool:
    """Whether If-None-Match names this ETag (RFC 9110: weak comparison, or `*`)."""
    if not if_none_match:
        return False
    offered = [tag.strip() for tag in if_none_match.split(",")]
    return "*" in offered or etag in {tag.removeprefix("W/") for tag in offered}
