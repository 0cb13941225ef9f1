"""Client outcomes as HTTP: results, refusals in the contract's shape, and pending jobs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api_client import BookingError, PendingResult

from .results import ResultWatcher

JOBS_PATH = "/v2/jobs"
T = TypeVar("T")


def error_response(error: BookingError, headers: dict[str, str] | None = None) -> JSONResponse:
    """The refusal with its status, in Timekit's body shape (`errors` or `error`)."""
    body = {key: value for key, value in error.to_result().items() if key != "status"}
    return JSONResponse(body, status_code=error.status, headers=headers)


def pending_response(job_id: str) -> JSONResponse:
    return JSONResponse(
        {"data": {"job_id": job_id, "state": "pending"}},
        status_code=202,
        headers={"Location": f"{JOBS_PATH}/{job_id}"},
    )


async def call(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A blocking client call, off the event loop."""
    return await run_in_threadpool(function, *args, **kwargs)


async def outcome(handle: PendingResult, stored: bytes, success_status: int) -> JSONResponse:
    """The answer of a command from its stored result."""
    try:
        result = handle.result_from_stored(stored)
    except BookingError as refusal:
        return error_response(refusal)
    return JSONResponse(result, status_code=success_status)


async def answer(
    handle: PendingResult, watcher: ResultWatcher, wait_s: float, success_status: int
) -> JSONResponse:
    """The command's answer if it comes within `wait_s`, else 202 pointing at its job."""
    stored = await watcher.wait(handle.result_key, wait_s)
    if stored is None:
        return pending_response(handle.id)
    return await outcome(handle, stored, success_status)
