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


def a_class(class_id: uuid.UUID, max_seats: int, current_seats: int) -> dict[str, Any]:
    return {
        "id": class_id, "graph": "group_owner", "state": "tentative", "created_at": NOW,
        "updated_at": NOW, "starts_at": NOW + timedelta(days=1),
        "ends_at": NOW + timedelta(days=1, hours=1), "what": "Yoga", "calendar_id": "c",
        "max_seats": max_seats, "current_seats": current_seats, "auto_complete": True,
    }  # fmt: skip


def a_seat(seat_id: uuid.UUID, class_id: uuid.UUID, seats: int, state: str) -> dict[str, Any]:
    return {
        "id": seat_id, "graph": "group_customer", "state": state, "created_at": NOW,
        "updated_at": NOW, "owner_booking_id": class_id, "seats": seats,
        "customer_name": "Marty", "customer_email": "marty@mcfly.example",
    }  # fmt: skip


def a_log(booking_id: uuid.UUID, action: str, from_state: str | None, to: str) -> dict[str, Any]:
    return {
        "booking_id": booking_id, "action": action, "from_state": from_state,
        "to_state": to, "created_at": NOW,
    }  # fmt: skip


def a_key(key: str, result: dict[str, Any]) -> dict[str, Any]:
    return {"key": key, "command": "book_seats", "request_hash": "x", "result": result,
            "created_at": NOW}  # fmt: skip


def told(key: str, op: str, status: int | None, result_id: str | None = None) -> Told:
    return Told(key=key, op=op, target=None, status=status, result_id=result_id, attempts=1)


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
