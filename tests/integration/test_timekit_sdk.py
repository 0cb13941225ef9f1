"""Timekit's own JS SDK (npm timekit-sdk, pinned) runs the guide's walk-through on the gateway."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from harness.bodies import class_body, in_days
from harness.gateways import GatewayServer, running_gateway
from harness.node_scripts import node_package, run_node_script
from harness.processes import REPO_ROOT
from harness.workers import Deployment

pytestmark = pytest.mark.integration

API_KEY = "live_api_key_7nzvc7wsBQQISLeFSVhROys9V1bUJ1z7"
WALKTHROUGH = REPO_ROOT / "tests" / "js" / "timekit_sdk_walkthrough.js"
DOC_SAYS = "Getting the DeLorean fixed that day. Doc."


@pytest.fixture
def gateway(deployment: Deployment, tmp_path: Path) -> Iterator[GatewayServer]:
    node_package("timekit-sdk")
    # Long enough that every command is answered 201/200, never 202 with a job.
    settings = {"BOOKINGS_WAIT_S": "30"}
    with running_gateway(deployment.redis_url, API_KEY, tmp_path, settings) as server:
        yield server


def test_the_sdk_runs_the_guides_walkthrough_against_the_gateway(gateway: GatewayServer) -> None:
    friday = in_days(10)
    given = {
        # The SDK appends the version ("v2") and the path to its base URL.
        "api_base_url": gateway.base_url + "/",
        "api_key": API_KEY,
        "classes": [
            class_body(friday + timedelta(days=7)),
            class_body(
                friday,  # within max_booking_time, so that Marty may book it now
                min_cancel_time="1 day",
                min_booking_time="2 hours",
                max_booking_time="14 days",
            ),
        ],
        "window": {
            "start": (friday - timedelta(hours=1)).isoformat(),
            "end": (friday + timedelta(days=7, hours=2)).isoformat(),
        },
    }

    transcript = run_node_script(WALKTHROUGH, given)

    steps: dict[str, dict[str, Any]] = {entry["step"]: entry for entry in transcript}
    assert {name: entry["status"] for name, entry in steps.items()} == {
        "create_class": 201,
        "create_class_with_rules": 201,
        "list_groups": 200,
        "book": 201,
        "book_with_a_friend": 201,
        "cancel_by_customer": 200,
        "read_with_include": 200,
        "cancel_class": 200,
        "read_after_cancel": 200,
        "list_groups_after_cancel": 200,
    }
    # The SDK flattens {"data": ...}: each step's data is the booking (or the list) itself.
    plain, ruled = steps["create_class"]["data"], steps["create_class_with_rules"]["data"]
    assert (ruled["graph"], ruled["state"]) == ("group_owner", "tentative")
    assert ruled["attributes"]["event_info"]["start"] == given["classes"][1]["event"]["start"]

    listed = {group["id"]: group for group in steps["list_groups"]["data"]}
    assert {plain["id"], ruled["id"]} <= listed.keys()
    assert listed[ruled["id"]]["attributes"]["group_booking"]["current_seats"] == 0
    assert "mcfly.example" not in str(steps["list_groups"]["data"])

    marty, with_friend = steps["book"]["data"], steps["book_with_a_friend"]["data"]
    assert marty["owner_booking_id"] == ruled["id"]
    assert (marty["state"], marty["seats"]) == ("confirmed", 1)
    assert with_friend["seats"] == 2
    assert steps["cancel_by_customer"]["data"]["state"] == "cancelled_by_customer"

    managed = steps["read_with_include"]["data"]
    assert managed["attributes"]["group_booking"]["current_seats"] == 2
    related = {entry["id"]: entry for entry in managed["related_bookings"]}
    assert related[marty["id"]]["state"] == "cancelled_by_customer"
    assert (related[with_friend["id"]]["state"], related[with_friend["id"]]["seats"]) == (
        "confirmed",
        2,
    )

    assert steps["cancel_class"]["data"]["state"] == "cancelled"
    after = steps["read_after_cancel"]["data"]
    assert after["attributes"]["group_booking"]["current_seats"] == 0
    states = {entry["id"]: entry["state"] for entry in after["related_bookings"]}
    assert states == {marty["id"]: "cancelled_by_customer", with_friend["id"]: "cancelled_by_owner"}
    assert after["logs"][-1]["message"] == DOC_SAYS
    remaining = {group["id"] for group in steps["list_groups_after_cancel"]["data"]}
    assert plain["id"] in remaining and ruled["id"] not in remaining
