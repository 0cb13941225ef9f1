"""The FastAPI application: `uvicorn gateway.app:app` serves Timekit's /v2 booking endpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from api_client import BookingClient, BookingError

from . import cors, metrics, openapi
from .action_links import action_links_router
from .answers import error_response
from .auth import CHALLENGE, AuthenticationError, KeyKind, key_kind
from .feeds import feed_tokens_router, feeds_router
from .results import ResultWatcher
from .routes import bookings_router
from .settings import GatewaySettings
from .widget import RetryKeys, WidgetBookings, refuse_unless_widget_route


def create_app(
    settings: GatewaySettings | None = None, client: BookingClient | None = None
) -> FastAPI:
    """The app over `client` (one on settings.redis_url if None; it connects on first use)."""
    settings = settings or GatewaySettings()
    api_digests = settings.api_key_digests()
    widget_digests = settings.widget_key_digests()
    # Results are awaited on the watcher's subscription, so sending subscribes to nothing.
    booking_client = client or BookingClient(
        settings.redis_url,
        subscribe_on_submit=False,
        redis_master_name=settings.redis_master_name,
    )
    watcher = ResultWatcher(
        settings.redis_url,
        booking_client.result_key_prefix,
        settings.redis_master_name,
        is_answer=booking_client.is_answer,
    )
    retry_keys = RetryKeys(settings.redis_url, settings.redis_master_name)
    widget = WidgetBookings(booking_client, watcher, settings.widget_wait_s, retry_keys)

    figures: metrics.RequestFigures | None = None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await watcher.start()
        try:
            async with metrics.serving(figures, settings.metrics_port):
                yield
        finally:
            await watcher.close()
            await retry_keys.close()
            if client is None:
                booking_client.close()

    def require_key(request: Request) -> None:
        kind = key_kind(request.headers.get("authorization"), api_digests, widget_digests)
        request.state.key_kind = kind
        if kind is KeyKind.WIDGET:
            # By route name, so that a route added later is closed to widgets until listed.
            refuse_unless_widget_route(getattr(request.scope.get("route"), "name", None))

    app = FastAPI(
        title="group-bookings",
        version="2",
        description="Timekit-shaped group and class bookings.",
        lifespan=lifespan,
        openapi_url="/v2/openapi.json",
        docs_url="/v2/docs",
        redoc_url=None,
        # "/v2/bookings/{id}/" is a 404 like any unknown path, not a 307 to a path that takes
        # no PUT (found by the bad-input drill).
        redirect_slashes=False,
    )
    app.include_router(
        bookings_router(booking_client, watcher, settings.wait_s, require_key, widget)
    )
    app.include_router(feed_tokens_router(booking_client, watcher, settings.wait_s, require_key))
    app.include_router(feeds_router(booking_client))
    app.include_router(
        action_links_router(booking_client, watcher, settings.wait_s, settings.link_secret())
    )
    _install_error_handlers(app)
    cors.install(app, settings.allowed_origins())
    # Last, so outermost: it counts what the CORS middleware refuses too.
    figures = metrics.install(app, settings.metrics_port)
    openapi.install(app)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AuthenticationError)
    async def unauthenticated(_request: Request, error: AuthenticationError) -> JSONResponse:
        return JSONResponse(
            {"error": str(error)}, status_code=401, headers={"WWW-Authenticate": CHALLENGE}
        )

    @app.exception_handler(BookingError)
    async def refused(_request: Request, error: BookingError) -> JSONResponse:
        return error_response(error)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        errors: dict[str, list[str]] = {}
        for detail in error.errors():
            # ("query", "start") -> "start": the field as the caller wrote it.
            field = ".".join(str(part) for part in detail["loc"][1:]) or "body"
            errors.setdefault(field, []).append(str(detail["msg"]))
        return JSONResponse({"errors": errors}, status_code=422)

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, error: HTTPException) -> JSONResponse:
        return JSONResponse(
            {"error": str(error.detail)}, status_code=error.status_code, headers=error.headers
        )


app = create_app()
