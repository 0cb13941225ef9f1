"""The /v2 endpoints: authenticate, read the body, submit through api_client, map to HTTP."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response

from api_client import BookingClient, InvalidRequestError, NotFoundError, PendingResult
from api_client.roster import roster_csv

from . import openapi as doc
from .answers import answer, call, error_response, outcome, pending_response
from .auth import KeyKind
from .bodies import (
    ActionMessage,
    BulkBody,
    MoveOptions,
    SeriesCancelBody,
    SetMaxSeatsOptions,
    action_options,
    json_object,
    parsed_as,
)
from .results import ResultWatcher
from .timezones import ZonedRoute, require_zone
from .widget import WidgetBookings

ActionName = Literal[
    "cancel",
    "cancel_by_customer",
    "cancel_by_owner",
    "complete",
    "accept_offer",
    "decline_offer",
    "move",
    "set_max_seats",
    "check_in",
]
IdempotencyKey = Header(
    default=None, alias="Idempotency-Key", description="Replays answer the first result."
)


def bookings_router(
    client: BookingClient,
    watcher: ResultWatcher,
    wait_s: float,
    guard: Any,
    widget: WidgetBookings,
) -> APIRouter:
    """The routes over one client and its results; `guard` is the authentication dependency,
    which notes the key's kind in `request.state.key_kind` and keeps widget keys to their
    routes; `widget` answers a widget key's bookings. Every answer's timestamps are in the
    Timekit-Timezone header's zone, if one is sent (gateway/timezones.py)."""
    router = APIRouter(
        prefix="/v2",
        dependencies=[Depends(guard), Depends(require_zone)],
        route_class=ZonedRoute,
    )

    @router.post(
        "/bookings",
        status_code=201,
        openapi_extra=doc.json_body("BookingBody"),
        responses={
            **doc.responses(400, 404, 409, 503, ok=(201, "BookingResponse")),
            **doc.pending(),
        },
    )
    async def create_booking(
        request: Request, idempotency_key: str | None = IdempotencyKey
    ) -> JSONResponse:
        """A class (group_owner) or seats in one (group_customer). With a widget key: seats
        only, answered 201 or refused, or 503 with Retry-After (never 202) past
        BOOKINGS_WIDGET_WAIT_S; the answer shows no customer but the booker."""
        if getattr(request.state, "key_kind", None) is KeyKind.WIDGET:
            return await widget.create(request, idempotency_key)
        body = await json_object(request)
        handle = await call(client.submit_booking, body, idempotency_key)
        return await answer(handle, watcher, wait_s, 201)

    @router.get("/bookings/groups", responses=doc.responses(ok=(200, "GroupListResponse")))
    async def list_groups(
        start: str | None = None,
        end: str | None = None,
        series_id: str | None = None,
        search: str | None = Query(
            default=None, description="project.id:<id>;resource.id:<id>;calendar_id:<id>"
        ),
        available: bool = Query(default=False, description="only classes with a seat free"),
    ) -> JSONResponse:
        """Classes open for booking overlapping [start, end), each with its resource, without
        any customer data; full ones too (with their seats) unless available=true."""
        result = await call(
            client.list_groups,
            start=start,
            end=end,
            series_id=series_id,
            search=search,
            available=available,
        )
        return JSONResponse(without_customers(result))

    @router.get("/bookings", responses=doc.responses(ok=(200, "BookingPage")))
    async def search_bookings(
        request: Request,
        search: str | None = Query(
            default=None,
            description="graph:..;state:..;calendar_id:..;customer.email:..;project.id:..;"
            "resource.id:..;meta.<key>:<value>, all to match",
        ),
        limit: int = Query(default=25, description="bookings per page, at most 100"),
        page: int = Query(default=1),
        after: str | None = Query(default=None, description="next_page_url's cursor"),
        before: str | None = Query(default=None, description="prev_page_url's cursor"),
    ) -> JSONResponse:
        """The owner's bookings matching `search`, by creation, in Timekit's pagination
        envelope (data, total, per_page, current_page, last_page, next_page_url,
        prev_page_url). Following the page URLs costs the same on any page."""
        result = await call(
            client.search_bookings, search, limit=limit, page=page, after=after, before=before
        )
        base = str(request.base_url).rstrip("/")
        for name in ("next_page_url", "prev_page_url"):
            if result.get(name):
                result[name] = base + result[name]
        return JSONResponse(result)

    @router.get(
        "/bookings/groups/{booking_id}",
        responses=doc.responses(404, ok=(200, "BookingResponse")),
    )
    async def get_group(booking_id: str) -> JSONResponse:
        """One class open for booking, as the list shows it; 404 for anything else."""
        result = await call(client.get_group, booking_id)
        [shown] = without_customers({"data": [result["data"]]})["data"]
        return JSONResponse({"data": shown})

    @router.post(
        "/bookings/bulk",
        status_code=200,
        openapi_extra=doc.json_body("BulkBody"),
        responses={**doc.responses(400, 404, 409), **doc.pending()},
    )
    async def bulk_create(
        request: Request, idempotency_key: str | None = IdempotencyKey
    ) -> JSONResponse:
        """Many bookings in one command, all or nothing unless told otherwise."""
        bulk = parsed_as(BulkBody, await json_object(request))
        try:
            handle = await call(
                client.submit_bulk, bulk.bookings, bulk.all_or_nothing, idempotency_key
            )
        except InvalidRequestError as refusal:
            if bulk.all_or_nothing:
                return error_response(refusal)
            # Each item on its own: invalid ones are answered in the list beside the others.
            result = await call(client.bulk_create, bulk.bookings, False, idempotency_key)
            return JSONResponse(result)
        return await answer(handle, watcher, wait_s, 200)

    @router.post(
        "/bookings/recurring",
        status_code=201,
        openapi_extra=doc.json_body("GroupOwnerSeries"),
        responses={**doc.responses(400, 409), **doc.pending()},
    )
    async def create_recurring(
        request: Request, idempotency_key: str | None = IdempotencyKey
    ) -> JSONResponse:
        """A season of classes in one command."""
        body = await json_object(request)
        handle = await call(client.submit_recurring, body, idempotency_key)
        return await answer(handle, watcher, wait_s, 201)

    @router.put(
        "/bookings/series/{series_id}/cancel",
        openapi_extra=doc.json_body("SeriesCancelBody", required=False),
        responses={**doc.responses(400, 404, 409), **doc.pending()},
    )
    async def cancel_series(
        series_id: str, request: Request, idempotency_key: str | None = IdempotencyKey
    ) -> JSONResponse:
        """Cancel every still-open class of a series from `from` on."""
        options = parsed_as(SeriesCancelBody, await json_object(request, required=False)).cancel
        handle = await call(
            client.submit_series_cancel, series_id, options.message, options.from_, idempotency_key
        )
        return await answer(handle, watcher, wait_s, 200)

    @router.get("/bookings/{booking_id}", responses=doc.responses(404, ok=(200, "BookingResponse")))
    async def get_booking(booking_id: str, include: str = Query(default="")) -> JSONResponse:
        """One booking; include is a comma list of attributes, related_bookings, logs,
        notifications, waitlist (a class's waiting and offered bookings), attendance (a
        class's seats booked, checked in and no-show), cancel_policy (a seat's cancel now:
        on time, late or refused)."""
        return JSONResponse(await call(client.get_booking, booking_id, include))

    @router.get(
        "/bookings/{booking_id}/roster.csv",
        response_class=Response,
        responses={
            **doc.responses(404),
            200: {"description": "the roster", "content": {"text/csv": {"schema": {}}}},
        },
    )
    async def get_roster(booking_id: str) -> Response:
        """A class's roster as CSV (UTF-8, a header row): name, email, seats, state,
        booked_at, checked_in_at, by name. The owner's key only, never a widget key."""
        result = await call(client.roster, booking_id)
        return Response(
            roster_csv(result["data"]),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="roster-{booking_id}.csv"'},
        )

    @router.delete(
        "/bookings/{booking_id}",
        responses={**doc.responses(404, 409, ok=(200, "DeletedResponse")), **doc.pending()},
    )
    async def delete_booking(
        booking_id: str, idempotency_key: str | None = IdempotencyKey
    ) -> JSONResponse:
        """Delete a booking in a final state with its logs and notifications: a seat booking
        alone, or a class with its seat bookings, all final (409 otherwise)."""
        handle = await call(client.submit_delete, booking_id, idempotency_key)
        return await answer(handle, watcher, wait_s, 200)

    @router.put(
        "/bookings/{booking_id}/{action}",
        openapi_extra=doc.json_body("ActionBody", required=False),
        responses={**doc.responses(400, 404, 409, ok=(200, "BookingResponse")), **doc.pending()},
    )
    async def apply_action(
        booking_id: str,
        action: ActionName,
        request: Request,
        idempotency_key: str | None = IdempotencyKey,
    ) -> JSONResponse:
        """cancel, cancel_by_customer, cancel_by_owner, complete, accept_offer, decline_offer
        or check_in with an optional message; move with the class moved to; set_max_seats
        with the seats."""
        body = await json_object(request, required=False)
        options = action_options(action, booking_id, body)
        handle = await call(submit_command, client, booking_id, action, options, idempotency_key)
        return await answer(handle, watcher, wait_s, 200)

    @router.get("/jobs/{job_id}", responses={**doc.responses(404, 409), **doc.pending()})
    async def get_job(job_id: str) -> JSONResponse:
        """A command's result once the worker has answered; 202 until then."""
        try:
            UUID(job_id)
        except ValueError:
            raise NotFoundError(f"no job {job_id}") from None
        handle = client.pending(job_id)
        stored = await watcher.wait(handle.result_key, 0)
        if stored is None:
            return pending_response(job_id)
        return await outcome(handle, stored, 200)

    return router


def submit_command(
    client: BookingClient,
    booking_id: str,
    action: str,
    options: ActionMessage,
    idempotency_key: str | None,
) -> PendingResult:
    """The client's command for the action in the path, with what its body held."""
    if isinstance(options, MoveOptions):
        to_class_id = str(options.owner_booking_id)
        return client.submit_move(booking_id, to_class_id, options.message, idempotency_key)
    if isinstance(options, SetMaxSeatsOptions):
        return client.submit_set_max_seats(
            booking_id, options.max_seats, options.message, idempotency_key
        )
    return client.submit_action(booking_id, action, options.message, idempotency_key)


# Who waits (`waitlist`) and who sits (`related_bookings`) are the owner's to see; the counts in
# attributes.group_booking (waitlist_seats, offered_seats) stay public.
_PRIVATE_FIELDS = ("related_bookings", "waitlist")


def without_customers(result: dict[str, Any]) -> dict[str, Any]:
    """The public list shows classes only: no customer, owner, related seat bookings or line."""
    classes = []
    for booking in result.get("data", []):
        shown = {key: value for key, value in booking.items() if key not in _PRIVATE_FIELDS}
        attributes = shown.get("attributes")
        if isinstance(attributes, dict):
            shown["attributes"] = {
                key: value for key, value in attributes.items() if key not in ("customer", "owner")
            }
        classes.append(shown)
    return {**result, "data": classes}
