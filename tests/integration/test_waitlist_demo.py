"""The demo's walk-through (examples/yoga_class.py, which scripts/demo.sh runs) against a real
worker, to its last step: Marty's friend waits and is promoted when Marty cancels."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from api_client.contract import BookingResponse
from harness.processes import REPO_ROOT, service_env
from harness.workers import Deployment

pytestmark = pytest.mark.integration

DEMO = REPO_ROOT / "examples" / "yoga_class.py"


def run_demo(deployment: Deployment) -> dict[str, Any]:
    """The demo's steps: each title, and the JSON it showed under it."""
    env = service_env({"BOOKINGS_REDIS_URL": deployment.redis_url})
    finished = subprocess.run(
        [sys.executable, str(DEMO)], env=env, capture_output=True, text=True, timeout=120
    )
    assert finished.returncode == 0, finished.stderr
    steps: dict[str, Any] = {}
    for block in finished.stdout.split("\n== ")[1:]:
        title, _, shown = block.partition("\n")
        steps[title.strip()] = json.loads(shown)
    return steps


def step(steps: dict[str, Any], starting: str) -> Any:
    [found] = [shown for title, shown in steps.items() if title.startswith(starting)]
    return found


def test_the_demo_runs_to_its_waitlist_step_and_the_friend_is_promoted(
    deployment: Deployment,
) -> None:
    steps = run_demo(deployment)

    # The seed's steps are still there.
    assert step(steps, "1. Doc Brown sets up")["data"]["state"] == "tentative"
    assert step(steps, "Booking the cancelled class is refused")["status"] == 409
    # The waitlist step: the class is full, the friend waits, Marty cancels, she is booked.
    small = step(steps, "5. Doc's small class")["data"]
    assert small["attributes"]["settings"]["waitlist_size"] == 5
    full = step(steps, "Biff takes the other two")
    assert full["status"] == 409 and "waitlist has room" in full["error"]
    waiting = step(steps, "... so she books with")
    BookingResponse.model_validate(waiting)
    assert waiting["data"]["state"] == "waitlisted"
    assert waiting["data"]["attributes"]["waitlist"] == {"position": 1}
    [in_line] = step(steps, "Doc's view of the line")["data"]["waitlist"]
    assert (in_line["id"], in_line["position"]) == (waiting["data"]["id"], 1)
    assert step(steps, "Marty cancels")["data"]["state"] == "cancelled_by_customer"
    promoted = step(steps, "Jennifer is now confirmed")
    BookingResponse.model_validate(promoted)
    assert (promoted["data"]["id"], promoted["data"]["state"]) == (
        waiting["data"]["id"],
        "confirmed",
    )
    assert [entry["action"] for entry in promoted["data"]["logs"]] == ["create", "promote"]
    assert promoted["data"]["owner_booking_id"] == small["id"]
