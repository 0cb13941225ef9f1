"""The `bookings` command as a user runs it: a separate process talking to a real worker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from api_client import BookingClient
from harness.bodies import class_body, in_days, seat_body
from harness.workers import Deployment

pytestmark = pytest.mark.integration

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TITLE = "Doc Brown's Friday Yoga Class"


def bookings(
    deployment: Deployment, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`bookings ARGS...` in a fresh interpreter, pointed at the deployment's Redis."""
    env = {**os.environ, "BOOKINGS_REDIS_URL": deployment.redis_url}
    return subprocess.run(
        [sys.executable, "-m", "api_client.cli", "--timeout", "60", *args],
        cwd=PROJECT_ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def write_json(tmp_path: Path, value: Any) -> str:
    path = tmp_path / f"{uuid.uuid4()}.json"
    path.write_text(json.dumps(value), encoding="utf-8")
    return str(path)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def test_a_class_created_from_a_file_is_listed_and_shown(
    deployment: Deployment, tmp_path: Path
) -> None:
    start = in_days(900)  # a stretch of time no other test books in
    file = write_json(tmp_path, class_body(start, max_seats=12))

    created = bookings(deployment, "create", file, "--json")
    listed = bookings(
        deployment,
        "list",
        "--json",
        "--start",
        iso(start),
        "--end",
        iso(start + timedelta(hours=1)),
    )

    assert created.returncode == 0, created.stderr
    class_id = json.loads(created.stdout)["data"]["id"]
    assert listed.returncode == 0, listed.stderr
    [group] = [g for g in json.loads(listed.stdout)["data"] if g["id"] == class_id]
    assert group["attributes"]["group_booking"] == {
        "current_seats": 0,
        "max_seats": 12,
        "waitlist_seats": 0,
        "offered_seats": 0,
        "waitlist_size": 0,
    }
    shown = bookings(deployment, "show", class_id, "--include", "attributes,logs")
    assert shown.returncode == 0, shown.stderr
    assert class_id in shown.stdout and TITLE in shown.stdout and "0/12" in shown.stdout
    assert "Log" in shown.stdout


def test_the_human_list_shows_the_class_title_and_seats(
    deployment: Deployment, client: BookingClient
) -> None:
    start = in_days(910)
    class_id = client.create_booking(class_body(start, max_seats=9))["data"]["id"]

    listed = bookings(
        deployment, "list", "--start", iso(start), "--end", iso(start + timedelta(hours=1))
    )

    assert listed.returncode == 0, listed.stderr
    assert class_id in listed.stdout and TITLE in listed.stdout and "0/9" in listed.stdout


def test_an_import_of_30_classes_creates_them_all(
    deployment: Deployment, client: BookingClient, tmp_path: Path
) -> None:
    base = in_days(920)
    bodies = [class_body(base + timedelta(hours=hour)) for hour in range(30)]

    imported = bookings(deployment, "create", write_json(tmp_path, bodies))

    assert imported.returncode == 0, imported.stderr
    assert "30 of 30 items imported" in imported.stdout
    assert "30/30" in imported.stderr  # the progress bar's last frame
    listed = client.list_groups(start=base, end=base + timedelta(days=2))["data"]
    assert len(listed) == 30
    assert all(group["id"] in imported.stdout for group in listed)


def test_rerunning_an_import_under_its_key_creates_nothing_twice(
    deployment: Deployment, client: BookingClient, tmp_path: Path
) -> None:
    base = in_days(930)
    file = write_json(tmp_path, [class_body(base + timedelta(hours=h)) for h in range(3)])
    key = f"cli-import-{uuid.uuid4()}"

    first = bookings(deployment, "create", file, "--json", "--idempotency-key", key)
    again = bookings(deployment, "create", file, "--json", "--idempotency-key", key)

    assert first.returncode == again.returncode == 0, first.stderr + again.stderr
    assert json.loads(first.stdout) == json.loads(again.stdout)
    assert len(client.list_groups(start=base, end=base + timedelta(days=1))["data"]) == 3


def test_an_import_reports_the_refused_items_and_exits_1(
    deployment: Deployment, client: BookingClient, tmp_path: Path
) -> None:
    base = in_days(940)
    bad = class_body(base + timedelta(hours=1), max_seats=0)
    good = [class_body(base), class_body(base + timedelta(hours=2))]

    imported = bookings(deployment, "create", "-", stdin=json.dumps([good[0], bad, good[1]]))

    assert imported.returncode == 1
    assert "2 of 3 items imported" in imported.stdout
    assert "422" in imported.stderr and "settings.max_seats" in imported.stderr
    assert len(client.list_groups(start=base, end=base + timedelta(days=1))["data"]) == 2


def test_cancel_cancels_the_class(deployment: Deployment, client: BookingClient) -> None:
    class_id = client.create_booking(class_body(in_days(950)))["data"]["id"]

    cancelled = bookings(deployment, "cancel", class_id, "--message", "Studio flooded")

    assert cancelled.returncode == 0, cancelled.stderr
    assert "cancelled" in cancelled.stdout
    assert client.get_booking(class_id)["data"]["state"] == "cancelled"


def test_cancelling_an_unknown_booking_exits_1_with_the_workers_404(
    deployment: Deployment,
) -> None:
    missing = str(uuid.uuid4())

    human = bookings(deployment, "cancel", missing)
    scripted = bookings(deployment, "cancel", missing, "--json")

    assert human.returncode == scripted.returncode == 1
    assert "NotFoundError (404)" in human.stderr
    assert json.loads(scripted.stdout)["status"] == 404


def full_class_with_a_line(client: BookingClient, days: int) -> tuple[str, list[str]]:
    """A two-seat class taken by Marty, with Biff (two seats) and then George waiting."""
    class_id = client.create_booking(class_body(in_days(days), max_seats=2, waitlist_size=10))
    class_id = class_id["data"]["id"]
    client.create_booking(seat_body(class_id, seats=2))
    waiting = [
        client.create_booking({**seat_body(class_id, seats=seats, name=name), "waitlist": True})
        for name, seats in (("Biff Tannen", 2), ("George McFly", 1))
    ]
    assert [booking["data"]["state"] for booking in waiting] == ["waitlisted", "waitlisted"]
    return class_id, [booking["data"]["id"] for booking in waiting]


def test_waitlist_lists_who_waits_in_order_of_arrival(
    deployment: Deployment, client: BookingClient
) -> None:
    class_id, (biff_id, george_id) = full_class_with_a_line(client, 960)

    shown = bookings(deployment, "waitlist", class_id)
    scripted = bookings(deployment, "waitlist", class_id, "--json")

    assert shown.returncode == 0, shown.stderr
    assert "2/2 seats taken; 3/10 seats waiting, 0 offered" in shown.stdout
    rows = [line for line in shown.stdout.splitlines() if "@mcfly.example" in line]
    assert len(rows) == 2
    assert "Biff Tannen" in rows[0] and biff_id in rows[0] and "waitlisted" in rows[0]
    assert "George McFly" in rows[1] and george_id in rows[1]
    assert scripted.returncode == 0, scripted.stderr
    line = json.loads(scripted.stdout)["data"]["waitlist"]
    assert [(entry["id"], entry["position"]) for entry in line] == [(biff_id, 1), (george_id, 2)]


def test_set_max_seats_raises_the_seats_and_promotes_who_now_fits(
    deployment: Deployment, client: BookingClient
) -> None:
    class_id, (biff_id, george_id) = full_class_with_a_line(client, 970)

    raised = bookings(deployment, "set-max-seats", class_id, "3", "--message", "Bigger studio")
    refused = bookings(deployment, "set-max-seats", class_id, "2")

    assert raised.returncode == 0, raised.stderr
    assert class_id in raised.stdout and "3/3" in raised.stdout
    # Biff's two seats do not fit the one freed; George, who came later, does.
    assert client.get_booking(biff_id)["data"]["state"] == "waitlisted"
    assert client.get_booking(george_id)["data"]["state"] == "confirmed"
    assert refused.returncode == 1
    assert "ConflictError (409)" in refused.stderr


def test_move_takes_a_seat_booking_to_another_class(
    deployment: Deployment, client: BookingClient
) -> None:
    friday = client.create_booking(class_body(in_days(980)))["data"]["id"]
    saturday = client.create_booking(class_body(in_days(981)))["data"]["id"]
    seat_id = client.create_booking(seat_body(friday, seats=2))["data"]["id"]

    moved = bookings(deployment, "move", seat_id, "--to", saturday, "--json")
    missing = bookings(deployment, "move", seat_id, "--to", str(uuid.uuid4()))

    assert moved.returncode == 0, moved.stderr
    data = json.loads(moved.stdout)["data"]
    assert (data["id"], data["owner_booking_id"], data["seats"]) == (seat_id, saturday, 2)
    assert missing.returncode == 1 and "NotFoundError (404)" in missing.stderr
