"""Client outcomes as HTTP: results, refusals in the contract's shape, and pending jobs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api_client import BookingError, PendingResult

JOBS_PATH = "/v2/jobs"
T = TypeVar("T")
# Polling the result key (a plain Redis GET) rather than blocking on the result backend's
# pub/sub: several requests can wait at once without sharing one subscription across threads,
# and no thread is held while waiting.
FIRST_POLL_S = 0.005
MAX_POLL_S = 0.1


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


async def settled(handle: PendingResult, wait_s: float) -> bool:
    """Whether the worker answered within `wait_s`."""
    if wait_s <= 0:
        return False
    deadline = time.monotonic() + wait_s
    pause_s = FIRST_POLL_S
    while not await run_in_threadpool(handle.ready):
        remaining_s = deadline - time.monotonic()
        if remaining_s <= 0:
            return False
        await asyncio.sleep(min(pause_s, remaining_s))
        pause_s = min(pause_s * 2, MAX_POLL_S)
    return True


async def outcome(handle: PendingResult, success_status: int) -> JSONResponse:
    """The answer of a handle known to be ready."""
    try:
        result = await run_in_threadpool(handle.result, 5.0)
    except BookingError as refusal:
        return error_response(refusal)
    return JSONResponse(result, status_code=success_status)


async def answer(handle: PendingResult, wait_s: float, success_status: int) -> JSONResponse:
    """The command's answer if it comes within `wait_s`, else 202 pointing at its job."""
    if not await settled(handle, wait_s):
        return pending_response(handle.id)
    return await outcome(handle, success_status)
