"""The `bookings` command against a stand-in client: parsing, tables, JSON and exit codes."""

from __future__ import annotations

import inspect
import io
import json
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from api_client import (
    BookingClient,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PendingResult,
)
from api_client.cli import main

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TITLE = "Doc Brown's Friday Yoga Class"
CREATED_AT = "2030-09-01T12:00:00+00:00"


def class_body(what: str = TITLE, max_seats: int = 20, start: str = "2030-09-06") -> dict[str, Any]:
    return {
        "graph": "group_owner",
        "settings": {"max_seats": max_seats},
        "event": {
            "start": f"{start}T07:00:00+00:00",
            "end": f"{start}T08:00:00+00:00",
            "what": what,
            "where": "Sesame St",
            "calendar_id": "studio-1",
        },
    }


def series_body() -> dict[str, Any]:
    body = class_body()
    body["recurrence"] = {"starts": ["2030-09-06T07:00:00+00:00", "2030-09-13T07:00:00+00:00"]}
    return body


class FakePending(PendingResult):
    """Stands in for PendingResult: the answer is worked out when it is collected."""

    def __init__(self, answer: Callable[[], dict[str, Any]]) -> None:  # no Celery result behind
        self._answer = answer

    def result(self, timeout_s: float | None = None) -> dict[str, Any]:
        return self._answer()


class FakeClient(BookingClient):
    """A test double of BookingClient: keeps classes in a dict and records every call.

    A subclass, so that main() takes it as the real client; every method it overrides keeps
    BookingClient's signature (mypy checks the overrides, and
    test_the_fake_client_keeps_the_signatures_of_booking_client checks them at run time).
    A class titled "Full" is refused by the "worker" (409) when its answer is collected; a
    max_seats below 1 is refused by the "client's validation" (422) when it is submitted, and
    one below the seats taken by the "worker" (409). `waitlists` holds each class's line.
    """

    def __init__(self) -> None:  # no Celery app: a method the fake does not override fails
        self.bookings: dict[str, dict[str, Any]] = {}
        self.waitlists: dict[str, list[dict[str, Any]]] = {}
        self.calls: list[tuple[Any, ...]] = []
        self.closed = False

    def create_booking(
        self, body: dict[str, Any], idempotency_key: str | None = None
    ) -> dict[str, Any]:
        self.calls.append(("create_booking", idempotency_key))
        return self.submit_booking(body, idempotency_key).result()

    def submit_booking(
        self, body: dict[str, Any], idempotency_key: str | None = None
    ) -> PendingResult:
        self.calls.append(("submit_booking", idempotency_key))
        if body["settings"]["max_seats"] < 1:
            raise InvalidRequestError(
                errors={"settings.max_seats": ["Input should be greater than or equal to 1"]}
            )
        return FakePending(lambda: self._create(body))

    def create_recurring(
        self, body: dict[str, Any], idempotency_key: str | None = None
    ) -> dict[str, Any]:
        self.calls.append(("create_recurring", idempotency_key))
        series_id = str(uuid.uuid4())
        starts = body["recurrence"]["starts"]
        created = [self._create({**body, "event": {**body["event"], "start": s}}) for s in starts]
        for booking in created:
            booking["data"]["series_id"] = series_id
        return {"data": {"series_id": series_id, "bookings": [c["data"] for c in created]}}

    def list_groups(
        self,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
        series_id: str | None = None,
        search: str | dict[str, str] | None = None,
        available: bool = False,
    ) -> dict[str, Any]:
        self.calls.append(("list_groups", start, end, series_id, search, available))
        return {"data": [booking for booking in self.bookings.values()]}

    def get_booking(self, booking_id: str, include: Iterable[str] | str = ()) -> dict[str, Any]:
        self.calls.append(("get_booking", booking_id, include))
        if booking_id not in self.bookings:
            raise NotFoundError(f"no booking with id {booking_id}")
        data = dict(self.bookings[booking_id])
        if "logs" in include:
            data["logs"] = [_log("create", None, "tentative", None)]
        if "waitlist" in include:
            data["waitlist"] = self.waitlists.get(booking_id, [])
        return {"data": data}

    def cancel(
        self, booking_id: str, message: str | None = None, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        return self._cancel("cancel", booking_id, message)

    def cancel_by_owner(
        self, booking_id: str, message: str | None = None, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        return self._cancel("cancel_by_owner", booking_id, message)

    def cancel_by_customer(
        self, booking_id: str, message: str | None = None, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        return self._cancel("cancel_by_customer", booking_id, message)

    def cancel_series(
        self,
        series_id: str,
        message: str | None = None,
        from_: datetime | str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        self.calls.append(("cancel_series", series_id, message, from_))
        return {"data": {"series_id": series_id, "cancelled": ["c-1", "c-2"]}}

    def move(
        self,
        booking_id: str,
        to_class_id: str,
        message: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        self.calls.append(("move", booking_id, to_class_id, message))
        if to_class_id not in self.bookings:
            raise NotFoundError(f"no booking with id {to_class_id}")
        self.bookings[booking_id]["owner_booking_id"] = to_class_id
        return {"data": self.bookings[booking_id]}

    def set_max_seats(
        self,
        class_id: str,
        max_seats: int,
        message: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        self.calls.append(("set_max_seats", class_id, max_seats, message))
        if max_seats < 1:
            raise InvalidRequestError(errors={"max_seats": ["must be at least 1"]})
        counts = self.bookings[class_id]["attributes"]["group_booking"]
        if max_seats < counts["current_seats"]:
            raise ConflictError(f"{counts['current_seats']} seats are taken; nobody is pushed out")
        counts["max_seats"] = max_seats
        return {"data": self.bookings[class_id]}

    def close(self) -> None:
        self.closed = True

    def add_class(self, what: str = TITLE, current_seats: int = 0, max_seats: int = 20) -> str:
        booking = self._create(class_body(what, max_seats))["data"]
        booking["attributes"]["group_booking"]["current_seats"] = current_seats
        return str(booking["id"])

    def _create(self, body: dict[str, Any]) -> dict[str, Any]:
        if body["event"]["what"] == "Full":
            raise ConflictError("the studio is booked at that time")
        booking_id = str(uuid.uuid4())
        self.bookings[booking_id] = {
            "id": booking_id,
            "state": "tentative",
            "graph": "group_owner",
            "completed": False,
            "created_at": CREATED_AT,
            "updated_at": CREATED_AT,
            "available_actions": ["cancel", "complete"],
            "attributes": {
                "event_info": {**body["event"], "description": None},
                "group_booking": {"current_seats": 0, "max_seats": body["settings"]["max_seats"]},
            },
        }
        return {"data": self.bookings[booking_id]}

    def _cancel(self, method: str, booking_id: str, message: str | None) -> dict[str, Any]:
        self.calls.append((method, booking_id, message))
        self.bookings[booking_id]["state"] = "cancelled"
        return {"data": self.bookings[booking_id]}


def _log(action: str, from_state: str | None, to_state: str, message: str | None) -> Any:
    return {
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        "message": message,
        "created_at": CREATED_AT,
    }


def seat_booking(class_id: str, state: str = "confirmed", seats: int = 2) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "state": state,
        "graph": "group_customer",
        "owner_booking_id": class_id,
        "created_at": CREATED_AT,
        "updated_at": CREATED_AT,
        "available_actions": ["cancel_by_customer", "cancel_by_owner"],
        "attributes": {
            "group_booking": {"seats": seats},
            "customer": {"name": "Marty McFly", "email": "marty@mcfly.example"},
        },
    }


def waiting(position: int, name: str, seats: int = 1) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "state": "waitlisted",
        "seats": seats,
        "customer": {"name": name, "email": f"{name.split()[0].lower()}@example.org"},
        "created_at": CREATED_AT,
        "position": position,
    }


def offered(name: str, expires_at: str, seats: int = 2) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "state": "offered",
        "seats": seats,
        "customer": {"name": name, "email": f"{name.split()[0].lower()}@example.org"},
        "created_at": CREATED_AT,
        "offer_expires_at": expires_at,
    }


def with_waitlist_counts(
    fake: FakeClient, class_id: str, waiting_seats: int, offered_seats: int, size: int
) -> None:
    counts = fake.bookings[class_id]["attributes"]["group_booking"]
    counts.update(waitlist_seats=waiting_seats, offered_seats=offered_seats, waitlist_size=size)


def overridden_methods(fake: type, real: type) -> list[str]:
    """The public methods `fake` defines that `real` has too."""
    return [
        name
        for name, member in vars(fake).items()
        if callable(member) and not name.startswith("_") and hasattr(real, name)
    ]


@pytest.mark.parametrize(
    ("fake", "real"), [(FakeClient, BookingClient), (FakePending, PendingResult)]
)
def test_the_fake_client_keeps_the_signatures_of_booking_client(fake: type, real: type) -> None:
    overridden = overridden_methods(fake, real)
    assert overridden, "the fake overrides nothing"
    for name in overridden:
        fake_signature = inspect.signature(getattr(fake, name), eval_str=True)
        real_signature = inspect.signature(getattr(real, name), eval_str=True)
        assert fake_signature == real_signature, f"{fake.__name__}.{name} has drifted"


def test_the_fake_client_adds_no_public_method_the_real_one_lacks() -> None:
    added = [
        name
        for name, member in vars(FakeClient).items()
        if callable(member) and not name.startswith("_") and not hasattr(BookingClient, name)
    ]

    assert added == ["add_class"], "a misspelt override would not stand in for the real method"


@pytest.fixture
def fake() -> FakeClient:
    return FakeClient()


@pytest.fixture
def run(fake: FakeClient) -> Callable[..., int]:
    """`bookings ARGS...` with the fake client; the factory's arguments are kept on `fake`."""

    def factory(redis_url: str | None, timeout_s: float) -> FakeClient:
        fake.calls.append(("factory", redis_url, timeout_s))
        return fake

    return lambda *argv: main(list(argv), client_factory=factory)


def write_json(tmp_path: Path, value: Any) -> str:
    path = tmp_path / "bodies.json"
    path.write_text(json.dumps(value), encoding="utf-8")
    return str(path)


# list -----------------------------------------------------------------------------------------


def test_list_shows_each_open_class_with_its_title_and_seats_taken(
    run: Callable[..., int], fake: FakeClient, capsys: pytest.CaptureFixture[str]
) -> None:
    class_id = fake.add_class(current_seats=3, max_seats=20)

    assert run("list") == 0

    out = capsys.readouterr().out
    assert TITLE in out
    assert "3/20" in out
    assert class_id in out
    assert "Fri 2030-09-06 07:00 UTC" in out


def test_list_passes_the_range_and_the_series_to_the_client(
    run: Callable[..., int], fake: FakeClient
) -> None:
    run("list", "--start", "2030-09-01T00:00:00Z", "--end", "2030-10-01T00:00:00Z", "--series", "s")

    assert (
        "list_groups",
        "2030-09-01T00:00:00Z",
        "2030-10-01T00:00:00Z",
        "s",
        None,
        False,
    ) in fake.calls


def test_list_passes_the_search_terms_and_only_available_classes_to_the_client(
    run: Callable[..., int], fake: FakeClient
) -> None:
    run("list", "--search", "project.id:studio-1;resource.id:doc", "--available")

    assert ("list_groups", None, None, None, "project.id:studio-1;resource.id:doc", True) in (
        fake.calls
    )


def test_list_without_available_asks_for_full_classes_too(
    run: Callable[..., int], fake: FakeClient
) -> None:
    run("list", "--search", "calendar_id:replace-with-id")

    assert ("list_groups", None, None, None, "calendar_id:replace-with-id", False) in fake.calls


def test_list_says_so_when_no_class_is_open(
    run: Callable[..., int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("list") == 0

    assert "No open classes." in capsys.readouterr().out


def test_list_with_json_prints_the_raw_response_and_nothing_else(
    run: Callable[..., int], fake: FakeClient, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.add_class(current_seats=3)

    assert run("--json", "list") == 0

    printed = json.loads(capsys.readouterr().out)
    assert printed == {"data": list(fake.bookings.values())}


def test_the_global_options_may_also_follow_the_subcommand(
    run: Callable[..., int], fake: FakeClient, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("list", "--json", "--redis-url", "redis://elsewhere:6379/3", "--timeout", "5") == 0

    assert json.loads(capsys.readouterr().out) == {"data": []}
    assert ("factory", "redis://elsewhere:6379/3", 5.0) in fake.calls


def test_without_options_the_client_chooses_the_redis_url_and_waits_30_s(
    run: Callable[..., int], fake: FakeClient
) -> None:
    run("list")

    assert ("factory", None, 30.0) in fake.calls
    assert fake.closed


def test_a_title_with_brackets_is_printed_as_written_not_as_markup(
    run: Callable[..., int], fake: FakeClient, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.add_class(what="[bold]Yoga[/bold] [beginners]")

    run("list")

    assert "[bold]Yoga[/bold] [beginners]" in capsys.readouterr().out


# create ---------------------------------------------------------------------------------------


def test_create_of_one_class_prints_its_row_and_passes_the_key(
    run: Callable[..., int], fake: FakeClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = write_json(tmp_path, class_body(max_seats=12))

    assert run("create", file, "--idempotency-key", "order-1985") == 0

    out = capsys.readouterr().out
    assert TITLE in out and "0/12" in out and "tentative" in out
    assert ("create_booking", "order-1985") in fake.calls


def test_a_body_with_a_recurrence_creates_a_series(
    run: Callable[..., int], fake: FakeClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("create", write_json(tmp_path, series_body())) == 0

    out = capsys.readouterr().out
    assert ("create_recurring", None) in fake.calls
    assert "Series " in out
    assert "2030-09-06 07:00" in out and "2030-09-13 07:00" in out


def test_dash_reads_the_body_from_stdin(
    run: Callable[..., int],
    fake: FakeClient,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(class_body(what="From stdin"))))

    assert run("--json", "create", "-") == 0

    printed = json.loads(capsys.readouterr().out)
    assert printed["data"]["attributes"]["event_info"]["what"] == "From stdin"


def test_a_malformed_json_file_exits_2_with_the_parse_error(
    run: Callable[..., int], fake: FakeClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"graph": "group_owner",\n  "settings": }', encoding="utf-8")

    assert run("create", str(path)) == 2

    captured = capsys.readouterr()
    assert "not valid JSON" in captured.err
    assert "line 2 column 15" in captured.err
    assert captured.out == ""
    assert not any(call[0] == "factory" for call in fake.calls), "no client for a bad file"


def test_malformed_json_on_stdin_exits_2(
    run: Callable[..., int], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("[{"))

    assert run("create", "-") == 2

    assert "stdin is not valid JSON" in capsys.readouterr().err


@pytest.mark.parametrize("content", ["42", '[{"graph": "group_owner"}, "two"]'])
def test_json_that_holds_no_bodies_exits_2(
    run: Callable[..., int], tmp_path: Path, content: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "odd.json"
    path.write_text(content, encoding="utf-8")

    assert run("create", str(path)) == 2

    assert "object" in capsys.readouterr().err


def test_a_missing_file_exits_2(
    run: Callable[..., int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("create", str(tmp_path / "nowhere.json")) == 2

    assert "cannot read" in capsys.readouterr().err


# import ---------------------------------------------------------------------------------------


def test_an_import_lists_each_failed_item_with_its_status_and_errors_and_exits_1(
    run: Callable[..., int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bodies = [class_body(what="Monday Yoga"), class_body(max_seats=0), class_body(what="Full")]

    assert run("create", write_json(tmp_path, bodies)) == 1

    captured = capsys.readouterr()
    assert "Monday Yoga" in captured.out
    assert "1 of 3 items imported" in captured.out
    assert "2 of 3 items failed" in captured.err
    assert "422" in captured.err and "settings.max_seats" in captured.err
    assert "409" in captured.err and "the studio is booked at that time" in captured.err


def test_an_import_sends_single_bodies_without_waiting_and_series_one_by_one(
    run: Callable[..., int], fake: FakeClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bodies = [class_body(), series_body(), class_body(what="Tuesday Pilates")]

    assert run("create", write_json(tmp_path, bodies), "--idempotency-key", "term-3") == 0

    methods = [call for call in fake.calls if call[0] != "factory"]
    assert methods == [
        ("submit_booking", "term-3-1"),
        ("submit_booking", "term-3-3"),
        ("create_recurring", "term-3-2"),
    ]
    out = capsys.readouterr().out
    assert "3 of 3 items imported" in out
    assert "Tuesday Pilates" in out


def test_an_import_with_json_prints_one_outcome_per_item_in_file_order(
    run: Callable[..., int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bodies = [class_body(what="Full"), class_body(), class_body(max_seats=0)]

    assert run("--json", "create", write_json(tmp_path, bodies)) == 1

    captured = capsys.readouterr()
    first, second, third = json.loads(captured.out)
    assert first == {"status": 409, "error": "the studio is booked at that time"}
    assert second["data"]["attributes"]["event_info"]["what"] == TITLE
    assert third["status"] == 422 and "settings.max_seats" in third["errors"]
    assert captured.err == "", "no progress bar in JSON mode"


# show and cancel ------------------------------------------------------------------------------


def test_show_prints_the_fields_and_the_included_log(
    run: Callable[..., int], fake: FakeClient, capsys: pytest.CaptureFixture[str]
) -> None:
    class_id = fake.add_class(current_seats=5, max_seats=12)

    assert run("show", class_id, "--include", "attributes,logs") == 0

    out = capsys.readouterr().out
    assert class_id in out and TITLE in out and "5/12" in out
    assert "cancel, complete" in out
    assert "Log" in out and "create" in out
    assert ("get_booking", class_id, "attributes,logs") in fake.calls


def test_show_of_an_unknown_booking_prints_the_status_to_stderr_and_exits_1(
    run: Callable[..., int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("show", "b0b0b0b0-0000-4000-8000-000000000000") == 1

    captured = capsys.readouterr()
    assert "NotFoundError (404)" in captured.err
    assert "no booking with id b0b0b0b0" in captured.err
    assert captured.out == ""


def test_a_refusal_with_json_prints_timekits_error_shape_on_stdout(
    run: Callable[..., int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("--json", "show", "missing") == 1

    assert json.loads(capsys.readouterr().out) == {
        "status": 404,
        "error": "no booking with id missing",
    }


def test_a_refusal_with_field_errors_lists_each_field_on_stderr(
    run: Callable[..., int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("create", write_json(tmp_path, class_body(max_seats=0))) == 1

    err = capsys.readouterr().err
    assert "InvalidRequestError (422)" in err
    assert "settings.max_seats: Input should be greater than or equal to 1" in err


@pytest.mark.parametrize(
    ("role", "method"),
    [
        ([], "cancel"),
        (["--as", "class"], "cancel"),
        (["--as", "owner"], "cancel_by_owner"),
        (["--as", "customer"], "cancel_by_customer"),
    ],
)
def test_cancel_calls_the_method_of_the_role_with_the_message(
    run: Callable[..., int],
    fake: FakeClient,
    role: list[str],
    method: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    class_id = fake.add_class()

    assert run("cancel", class_id, "--message", "Studio closed", *role) == 0

    assert (method, class_id, "Studio closed") in fake.calls
    assert "cancelled" in capsys.readouterr().out


def test_cancel_series_passes_the_message_and_the_first_moment(
    run: Callable[..., int], fake: FakeClient, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("cancel-series", "s-1", "--message", "Closed", "--from", "2030-10-18T00:00:00Z")
    assert run(*args) == 0

    assert ("cancel_series", "s-1", "Closed", "2030-10-18T00:00:00Z") in fake.calls
    assert "Cancelled 2 classes of series s-1" in capsys.readouterr().out


# waitlist, move and set-max-seats ---------------------------------------------------------------


def test_waitlist_lists_the_line_in_order_of_arrival_with_positions_and_the_offer_expiry(
    run: Callable[..., int], fake: FakeClient, capsys: pytest.CaptureFixture[str]
) -> None:
    class_id = fake.add_class(current_seats=18, max_seats=20)
    with_waitlist_counts(fake, class_id, waiting_seats=3, offered_seats=2, size=10)
    line = [
        offered("Jennifer Parker", "2030-09-05T09:30:00+00:00"),
        waiting(1, "Biff Tannen", seats=2),
        waiting(2, "George McFly"),
    ]
    fake.waitlists[class_id] = line

    assert run("waitlist", class_id) == 0

    out = capsys.readouterr().out
    assert ("get_booking", class_id, "attributes,waitlist") in fake.calls
    assert f"Waitlist of {TITLE}" in out
    assert "18/20 seats taken; 3/10 seats waiting, 2 offered" in out
    for header in ("position", "customer", "seats", "state", "offer expiry"):
        assert header in out
    rows = [row for row in out.splitlines() if "@example.org" in row]
    assert len(rows) == 3
    assert "Jennifer Parker" in rows[0] and "offered" in rows[0]
    assert "Thu 2030-09-05 09:30 UTC" in rows[0]
    assert "Biff Tannen" in rows[1] and "waitlisted" in rows[1] and " 1 " in rows[1]
    assert "George McFly" in rows[2] and " 2 " in rows[2]
    assert all(entry["id"] in out for entry in line)


def test_waitlist_of_a_class_nobody_waits_for_says_so(
    run: Callable[..., int], fake: FakeClient, capsys: pytest.CaptureFixture[str]
) -> None:
    class_id = fake.add_class(current_seats=4, max_seats=20)
    with_waitlist_counts(fake, class_id, waiting_seats=0, offered_seats=0, size=0)

    assert run("waitlist", class_id) == 0

    out = capsys.readouterr().out
    assert "4/20 seats taken; no waitlist" in out
    assert "Nobody is waiting." in out


def test_waitlist_with_json_prints_the_raw_response(
    run: Callable[..., int], fake: FakeClient, capsys: pytest.CaptureFixture[str]
) -> None:
    class_id = fake.add_class()
    fake.waitlists[class_id] = [waiting(1, "Biff Tannen")]

    assert run("waitlist", class_id, "--json") == 0

    printed = json.loads(capsys.readouterr().out)
    assert printed["data"]["waitlist"] == fake.waitlists[class_id]


def test_waitlist_of_an_unknown_class_exits_1_with_the_404(
    run: Callable[..., int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("waitlist", "b0b0b0b0-0000-4000-8000-000000000000") == 1

    assert "NotFoundError (404)" in capsys.readouterr().err


def test_show_of_a_class_with_a_waitlist_shows_its_counts_and_promotion_mode(
    run: Callable[..., int], fake: FakeClient, capsys: pytest.CaptureFixture[str]
) -> None:
    class_id = fake.add_class(current_seats=20, max_seats=20)
    with_waitlist_counts(fake, class_id, waiting_seats=4, offered_seats=0, size=10)
    fake.bookings[class_id]["attributes"]["settings"] = {
        "max_seats": 20,
        "waitlist_size": 10,
        "waitlist_promotion": "offer",
        "offer_time": "30 minutes",
    }
    fake.waitlists[class_id] = [waiting(1, "Biff Tannen", seats=4)]

    assert run("show", class_id, "--include", "attributes,waitlist") == 0

    out = capsys.readouterr().out
    assert "4/10 seats waiting, 0 offered" in out
    assert "offer" in out and "30 minutes" in out
    assert "Waitlist" in out and "Biff Tannen" in out


def test_show_of_a_waiting_booking_shows_its_place_in_line(
    run: Callable[..., int], fake: FakeClient, capsys: pytest.CaptureFixture[str]
) -> None:
    seat = seat_booking(fake.add_class(), state="waitlisted")
    seat["attributes"]["waitlist"] = {"position": 3}
    fake.bookings[seat["id"]] = seat

    assert run("show", seat["id"]) == 0

    out = capsys.readouterr().out
    assert "waitlisted" in out
    [place] = [line for line in out.splitlines() if "place in line" in line]
    assert place.split("│")[2].strip() == "3"


def test_show_of_an_offered_booking_shows_when_its_offer_expires(
    run: Callable[..., int], fake: FakeClient, capsys: pytest.CaptureFixture[str]
) -> None:
    seat = seat_booking(fake.add_class(), state="offered")
    seat["attributes"]["waitlist"] = {"offer_expires_at": "2030-09-05T09:30:00+00:00"}
    fake.bookings[seat["id"]] = seat

    assert run("show", seat["id"]) == 0

    out = capsys.readouterr().out
    assert "offer expires" in out and "Thu 2030-09-05 09:30 UTC" in out


def test_move_passes_the_target_class_and_the_message_and_prints_the_booking(
    run: Callable[..., int], fake: FakeClient, capsys: pytest.CaptureFixture[str]
) -> None:
    source, target = fake.add_class(), fake.add_class(what="Saturday Yoga")
    seat = seat_booking(source)
    fake.bookings[seat["id"]] = seat

    assert run("move", seat["id"], "--to", target, "--message", "Friday is full for me") == 0

    assert ("move", seat["id"], target, "Friday is full for me") in fake.calls
    out = capsys.readouterr().out
    assert seat["id"] in out and target in out and "confirmed" in out


def test_move_to_an_unknown_class_exits_1_with_the_404(
    run: Callable[..., int], fake: FakeClient, capsys: pytest.CaptureFixture[str]
) -> None:
    seat = seat_booking(fake.add_class())
    fake.bookings[seat["id"]] = seat

    assert run("move", seat["id"], "--to", "c0c0c0c0-0000-4000-8000-000000000000", "--json") == 1

    assert json.loads(capsys.readouterr().out)["status"] == 404


def test_set_max_seats_passes_the_seats_and_the_message_and_prints_the_class(
    run: Callable[..., int], fake: FakeClient, capsys: pytest.CaptureFixture[str]
) -> None:
    class_id = fake.add_class(current_seats=20, max_seats=20)

    assert run("set-max-seats", class_id, "25", "--message", "Bigger studio") == 0

    assert ("set_max_seats", class_id, 25, "Bigger studio") in fake.calls
    out = capsys.readouterr().out
    assert class_id in out and "20/25" in out


def test_set_max_seats_below_the_seats_taken_exits_1_with_the_409(
    run: Callable[..., int], fake: FakeClient, capsys: pytest.CaptureFixture[str]
) -> None:
    class_id = fake.add_class(current_seats=12, max_seats=20)

    assert run("set-max-seats", class_id, "10") == 1

    err = capsys.readouterr().err
    assert "ConflictError (409)" in err and "nobody is pushed out" in err
    assert fake.bookings[class_id]["attributes"]["group_booking"]["max_seats"] == 20


def test_set_max_seats_of_zero_exits_1_with_the_clients_422(
    run: Callable[..., int], fake: FakeClient, capsys: pytest.CaptureFixture[str]
) -> None:
    class_id = fake.add_class()

    assert run("set-max-seats", class_id, "0") == 1

    assert "InvalidRequestError (422)" in capsys.readouterr().err


# the command line itself ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["cancel", "x", "--as", "janitor"],
        ["--timeout", "soon", "list"],
        ["move", "x"],
        ["set-max-seats", "x", "many"],
        ["waitlist"],
    ],
)
def test_a_usage_error_exits_2_without_a_client(
    run: Callable[..., int], fake: FakeClient, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(*argv) == 2

    assert "usage: bookings" in capsys.readouterr().err
    assert fake.calls == []


def test_help_exits_0(run: Callable[..., int], capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--help") == 0

    out = capsys.readouterr().out
    assert "cancel-series" in out
    assert "waitlist" in out and "move" in out and "set-max-seats" in out


def test_the_command_does_not_import_the_worker() -> None:
    code = """
        import sys
        import api_client.cli
        leaked = [m for m in sys.modules if m == "worker" or m.startswith("worker.")]
        assert not leaked, leaked
    """
    outcome = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert outcome.returncode == 0, outcome.stderr


# times in a zone ------------------------------------------------------------------------------


def in_oslo(fake: FakeClient, class_id: str) -> None:
    fake.bookings[class_id]["attributes"]["event_info"]["timezone"] = "Europe/Oslo"


def test_list_shows_a_class_at_its_own_zone_s_time(
    run: Callable[..., int], fake: FakeClient, capsys: pytest.CaptureFixture[str]
) -> None:
    in_oslo(fake, fake.add_class())

    assert run("list") == 0

    assert "Fri 2030-09-06 09:00 CEST" in capsys.readouterr().out


def test_tz_shows_every_time_in_the_zone_asked_for(
    run: Callable[..., int], fake: FakeClient, capsys: pytest.CaptureFixture[str]
) -> None:
    in_oslo(fake, fake.add_class())

    assert run("list", "--tz", "America/New_York") == 0

    assert "Fri 2030-09-06 03:00 EDT" in capsys.readouterr().out


def test_show_gives_a_zoned_class_s_times_and_names_its_zone(
    run: Callable[..., int], fake: FakeClient, capsys: pytest.CaptureFixture[str]
) -> None:
    class_id = fake.add_class()
    in_oslo(fake, class_id)

    assert run("show", class_id, "--include", "attributes,logs") == 0

    out = capsys.readouterr().out
    assert "Fri 2030-09-06 09:00 CEST" in out and "Fri 2030-09-06 10:00 CEST" in out
    assert "class zone" in out and "Europe/Oslo" in out


def test_an_unknown_tz_is_a_usage_error(
    run: Callable[..., int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("list", "--tz", "Oslo time") == 2

    assert "is not an IANA time zone" in capsys.readouterr().err
