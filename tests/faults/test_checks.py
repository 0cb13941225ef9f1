"""The drills' checks fail when a record is wrong: each departure is planted and must be named."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, insert

from harness.databases import fresh_database
from worker.storage.migrate import upgrade_to_head
from worker.storage.tables import booking_logs, bookings, command_keys

from .checks import check_everything
from .load import Told

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    with fresh_database("postgresql", tmp_path) as url:
        engine = create_engine(url)
        upgrade_to_head(engine)
        engine.dispose()
        yield url


def write(database_url: str, table: Any, rows: list[dict[str, Any]]) -> None:
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(insert(table), rows)
    engine.dispose()


def a_class(class_id: uuid.UUID, max_seats: int, current_seats: int, **line: Any) -> dict[str, Any]:
    """An open class starting tomorrow; `line` sets its waitlist columns (none by default)."""
    return {
        "id": class_id, "graph": "group_owner", "state": "tentative", "created_at": NOW,
        "updated_at": NOW, "starts_at": NOW + timedelta(days=1),
        "ends_at": NOW + timedelta(days=1, hours=1), "what": "Yoga", "calendar_id": "c",
        "max_seats": max_seats, "current_seats": current_seats, "auto_complete": True,
        "waitlist_size": 0, "waitlist_promotion": "automatic", "offer_s": 7200,
        "waitlist_seats": 0, "offered_seats": 0, "line_arrivals": 0, **line,
    }  # fmt: skip


def a_seat(
    seat_id: uuid.UUID, class_id: uuid.UUID, seats: int, state: str, line_number: int | None = None
) -> dict[str, Any]:
    offer_expires_at = NOW + timedelta(hours=2) if state == "offered" else None
    return {
        "id": seat_id, "graph": "group_customer", "state": state, "created_at": NOW,
        "updated_at": NOW, "owner_booking_id": class_id, "seats": seats,
        "customer_name": "Marty", "customer_email": "marty@mcfly.example",
        "line_number": line_number, "offer_expires_at": offer_expires_at,
    }  # fmt: skip


def a_log(
    booking_id: uuid.UUID,
    action: str,
    from_state: str | None,
    to: str,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "booking_id": booking_id, "action": action, "from_state": from_state,
        "to_state": to, "created_at": NOW, "details": details,
    }  # fmt: skip


def a_key(key: str, result: dict[str, Any]) -> dict[str, Any]:
    return {"key": key, "command": "book_seats", "request_hash": "x", "result": result,
            "created_at": NOW}  # fmt: skip


def told(key: str, op: str, status: int | None, result_id: str | None = None, **sent: Any) -> Told:
    return Told(
        key=key, op=op, target=sent.pop("target", None), status=status, result_id=result_id,
        attempts=1, **sent,
    )  # fmt: skip


def test_a_consistent_record_passes(database_url: str) -> None:
    class_id, seat_id = uuid.uuid4(), uuid.uuid4()
    write(database_url, bookings, [a_class(class_id, 5, 2)])
    write(database_url, bookings, [a_seat(seat_id, class_id, 2, "confirmed")])
    write(database_url, booking_logs, [
        a_log(class_id, "create", None, "tentative"), a_log(seat_id, "create", None, "confirmed")
    ])  # fmt: skip
    write(database_url, command_keys, [
        a_key("c", {"data": {"id": str(class_id)}}), a_key("s", {"data": {"id": str(seat_id)}})
    ])  # fmt: skip
    journal = [
        told("c", "create_class", 201, str(class_id)),
        told("s", "book_seats", 201, str(seat_id)),
    ]

    assert check_everything(database_url, journal, receiver=None).problems == []


def test_an_oversold_class_a_bad_transition_and_a_mistold_caller_are_all_named(
    database_url: str,
) -> None:
    class_id, first, second = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    # The CHECK constraint keeps current_seats within max_seats, so the oversold class here
    # is one whose confirmed seats exceed it: what an unguarded write would leave.
    write(database_url, bookings, [a_class(class_id, 2, 2)])
    write(database_url, bookings, [
        a_seat(first, class_id, 2, "confirmed"), a_seat(second, class_id, 1, "completed")
    ])  # fmt: skip
    write(database_url, booking_logs, [
        a_log(class_id, "create", None, "tentative"),
        a_log(first, "create", None, "confirmed"),
        a_log(second, "create", None, "confirmed"),
        a_log(second, "cancel_by_customer", "confirmed", "completed"),
    ])  # fmt: skip
    write(database_url, command_keys, [
        a_key("c", {"data": {"id": str(class_id)}}),
        a_key("s1", {"data": {"id": str(first)}}),
        a_key("s2", {"status": 409, "error": "full"}),
        a_key("unsent", {"data": {"id": str(second)}}),
    ])  # fmt: skip
    journal = [
        told("c", "create_class", 201, str(class_id)),
        told("s1", "book_seats", 201, str(first)),
        told("s2", "book_seats", 201, str(second)),  # told booked, recorded refused
        told("lost", "book_seats", None),
    ]

    findings = check_everything(database_url, journal, receiver=None)

    assert findings.oversold == 1 and findings.line_accounts_off == 1
    assert findings.bad_transitions == 1
    assert findings.mistold == 1 and findings.lost == 1
    assert findings.duplicated >= 1  # "unsent" applied with no caller


def a_line(database_url: str, **line: Any) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """A full class of two seats (one confirmed booking of two) with one entry waiting for a
    seat, and their logs; (class, confirmed, waiting)."""
    class_id, held, waiting = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    settings = {"max_seats": 2, "current_seats": 2, "waitlist_size": 5, "waitlist_seats": 1,
                "line_arrivals": 1, **line}  # fmt: skip
    write(database_url, bookings, [a_class(class_id, **settings)])
    write(database_url, bookings, [
        a_seat(held, class_id, 2, "confirmed"), a_seat(waiting, class_id, 1, "waitlisted", 1)
    ])  # fmt: skip
    write(database_url, booking_logs, [
        a_log(class_id, "create", None, "tentative"),
        a_log(held, "create", None, "confirmed"),
        a_log(waiting, "create", None, "waitlisted"),
    ])  # fmt: skip
    return class_id, held, waiting


def creations(database_url: str, classes: list[uuid.UUID], seats: list[uuid.UUID]) -> list[Told]:
    """Each booking's creation as a caller was told of it, and recorded under its key."""
    made = [("create_class", class_id) for class_id in classes]
    made += [("book_seats", seat_id) for seat_id in seats]
    keys = [a_key(f"create-{i}", {"data": {"id": str(made_id)}}) for i, (_, made_id) in
            enumerate(made)]  # fmt: skip
    write(database_url, command_keys, keys)
    return [told(f"create-{i}", op, 201, str(made_id)) for i, (op, made_id) in enumerate(made)]


def test_a_line_with_offers_accepted_and_a_move_passes(database_url: str) -> None:
    # Given a full class with one waiting, and a booking that was offered a seat, accepted it
    # and moved here from another class: every counter, walk and outcome agrees
    other, offered = uuid.uuid4(), uuid.uuid4()
    class_id, held, waiting = a_line(database_url, max_seats=3, current_seats=3)
    write(database_url, bookings, [a_class(other, 2, 0)])
    write(database_url, bookings, [a_seat(offered, class_id, 1, "confirmed", 0)])
    moved = {"from_class": str(other), "to_class": str(class_id)}
    write(database_url, booking_logs, [
        a_log(other, "create", None, "tentative"),
        a_log(offered, "create", None, "waitlisted"),
        a_log(offered, "offer", "waitlisted", "offered"),
        a_log(offered, "accept_offer", "offered", "confirmed"),
        a_log(offered, "move", "confirmed", "confirmed", moved),
        a_log(other, "set_max_seats", "tentative", "tentative", {"max_seats_after": 2}),
    ])  # fmt: skip
    write(database_url, command_keys, [
        a_key("a", {"data": {"id": str(offered), "state": "confirmed"}}),
        a_key("m", {"data": {"id": str(offered), "state": "confirmed"}}),
        a_key("s", {"data": {"id": str(other), "state": "tentative"}}),
    ])  # fmt: skip
    journal = [
        *creations(database_url, [class_id, other], [held, waiting, offered]),
        told("a", "accept_offer", 200, str(offered), target=str(offered)),
        told("m", "move", 200, str(offered), target=str(offered), to_class=str(class_id)),
        told("s", "set_max_seats", 200, str(other), target=str(other), max_seats=2),
    ]

    findings = check_everything(database_url, journal, receiver=None, settled_at=NOW)

    assert findings.problems == []
    assert findings.actions["waitlisted"] == 2 and findings.actions["move"] == 1


def test_a_waitlist_count_that_disagrees_with_its_entries_is_named(database_url: str) -> None:
    class_id, _held, _waiting = a_line(database_url, waitlist_seats=3)

    findings = check_everything(database_url, [], receiver=None, settled_at=NOW)

    assert findings.line_accounts_off == 1
    assert any(str(class_id) in problem for problem in findings.problems)


def test_an_offer_beyond_max_seats_is_an_oversold_class(database_url: str) -> None:
    # The class row's CHECK keeps its counters within max_seats, so the offer planted here is
    # one the counters do not know of: what an unguarded write would leave.
    class_id, _held, _waiting = a_line(database_url)
    offered = uuid.uuid4()
    write(database_url, bookings, [a_seat(offered, class_id, 1, "offered", 2)])
    write(database_url, booking_logs, [
        a_log(offered, "create", None, "waitlisted"),
        a_log(offered, "offer", "waitlisted", "offered"),
    ])  # fmt: skip

    findings = check_everything(database_url, [], receiver=None, settled_at=NOW)

    assert findings.oversold == 1 and findings.line_accounts_off == 1


def test_an_entry_promoted_twice_is_named(database_url: str) -> None:
    class_id, _held, waiting = a_line(database_url, max_seats=3, current_seats=3)
    promoted = uuid.uuid4()
    write(database_url, bookings, [a_seat(promoted, class_id, 1, "confirmed", 0)])
    write(database_url, booking_logs, [
        a_log(promoted, "create", None, "waitlisted"),
        a_log(promoted, "promote", "waitlisted", "confirmed"),
        a_log(promoted, "promote", "waitlisted", "confirmed"),
    ])  # fmt: skip

    findings = check_everything(database_url, [], receiver=None, settled_at=NOW)

    assert findings.promoted_twice == 1
    assert findings.bad_transitions == 1  # the second promotion is no edge from confirmed
    assert not any(str(waiting) in problem for problem in findings.problems)


def test_a_line_left_open_in_a_class_that_cannot_be_booked_is_named(database_url: str) -> None:
    _class_id, _held, waiting = a_line(database_url, starts_at=NOW - timedelta(minutes=5))

    settled = check_everything(database_url, [], receiver=None, settled_at=NOW)
    unsettled = check_everything(database_url, [], receiver=None, settled_at=None)

    assert settled.lines_left == 1
    assert any(f"{waiting} still in its line" in problem for problem in settled.problems)
    assert unsettled.lines_left == 0  # without a moment the sweep had to have passed by


def test_free_seats_an_automatic_line_did_not_get_are_named(database_url: str) -> None:
    # Given a class of three seats, two taken, and one entry waiting for one seat
    _class_id, _held, waiting = a_line(database_url, max_seats=3)

    findings = check_everything(database_url, [], receiver=None, settled_at=NOW)

    assert findings.lines_left == 1
    assert any(f"{waiting} waits for 1" in problem for problem in findings.problems)


def test_moves_and_offers_told_but_not_logged_or_logged_but_not_told_are_named(
    database_url: str,
) -> None:
    class_id, held, waiting = a_line(database_url)
    other = uuid.uuid4()
    write(database_url, bookings, [a_class(other, 5, 0)])
    moved = {"from_class": str(other), "to_class": str(class_id)}
    write(database_url, booking_logs, [
        a_log(other, "create", None, "tentative"),
        a_log(other, "set_max_seats", "tentative", "tentative", {"max_seats_after": 5}),
    ])  # fmt: skip
    write(database_url, booking_logs, [a_log(held, "move", "confirmed", "confirmed", moved)])
    write(database_url, command_keys, [
        a_key("accepted", {"data": {"id": str(waiting), "state": "confirmed"}}),
    ])  # fmt: skip
    journal = [  # the accept was logged nowhere; the move and the capacity change told no one
        told("accepted", "accept_offer", 200, str(waiting), target=str(waiting)),
    ]

    findings = check_everything(database_url, journal, receiver=None, settled_at=NOW)

    assert findings.mistold == 1
    assert f"told accept_offer {waiting} was done, not in the logs" in findings.problems
    assert f"logged move {held} {class_id}, no caller was told so" in findings.problems
    assert f"logged set_max_seats {other} 5, no caller was told so" in findings.problems
