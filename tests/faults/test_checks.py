"""The drills' checks fail when a record is wrong: each departure is planted and must be named."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, delete, insert

from harness.databases import fresh_database
from tests.support.reminders import without_the_unique_row
from worker.storage.migrate import upgrade_to_head
from worker.storage.tables import (
    booking_logs,
    bookings,
    class_reminders,
    command_keys,
    outbox,
    reminders_sent,
)

from .checks import Findings, check_everything
from .load import Told
from .log_checks import check_log_lines

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


# Issue 12: deletions, widget bookings and action-link cancels.


def widget_body(class_id: uuid.UUID, email: str) -> dict[str, Any]:
    return {
        "graph": "group_customer", "action": "create", "related": {"owner_booking_id":
        str(class_id)}, "resource_id": "r-1", "project_id": "p-1", "meta": {"visit": 3},
        "customer": {"name": "Visitor", "email": email, "phone": "555-0185", "voip": "v",
                     "timezone": "America/New_York", "comment": "Bringing my own mat"},
    }  # fmt: skip


def a_widget_seat(seat_id: uuid.UUID, class_id: uuid.UUID, body: dict[str, Any]) -> dict[str, Any]:
    customer = body["customer"]
    return {
        **a_seat(seat_id, class_id, 1, "confirmed"), "customer_name": customer["name"],
        "customer_email": customer["email"], "customer_phone": customer["phone"],
        "customer_voip": customer["voip"], "customer_timezone": customer["timezone"],
        "customer_fields": {"comment": customer["comment"]}, "resource_id": body["resource_id"],
        "project_id": body["project_id"], "meta": body["meta"],
    }  # fmt: skip


def deletion(
    key: str, target: uuid.UUID, state: str, deleted: list[uuid.UUID], **sent: Any
) -> Told:
    graph = sent.pop("graph", "group_customer")
    return told(key, sent.pop("op", "delete_booking"), 200, str(target), target=str(target),
                state=state, deleted=[str(d) for d in deleted], graph=graph, **sent)  # fmt: skip


def issue_12_record(database_url: str) -> tuple[list[Told], dict[str, uuid.UUID]]:
    """A completed class that had two completed seat bookings (3 seats and 2), the one of 2
    deleted; a cancelled seat booking deleted and its deletion replayed; a widget booking
    sent twice, stored as sent; a seat booking cancelled once from its link (pressed twice)."""
    ids = {name: uuid.uuid4() for name in ("class", "stays", "completed", "cancelled",
                                           "widget", "linked", "open")}  # fmt: skip
    body = widget_body(ids["open"], "visitor@mcfly.example")
    write(database_url, bookings, [
        a_class(ids["class"], 5, 3, state="completed"), a_class(ids["open"], 5, 1),
    ])  # fmt: skip
    write(database_url, bookings, [
        a_seat(ids["stays"], ids["class"], 3, "completed"),
        a_seat(ids["linked"], ids["open"], 2, "cancelled_by_customer"),
    ])  # fmt: skip
    write(database_url, bookings, [a_widget_seat(ids["widget"], ids["open"], body)])
    write(database_url, booking_logs, [
        a_log(ids["class"], "create", None, "tentative"),
        a_log(ids["class"], "complete", "tentative", "completed"),
        a_log(ids["stays"], "create", None, "confirmed"),
        a_log(ids["stays"], "complete", "confirmed", "completed"),
        a_log(ids["open"], "create", None, "tentative"),
        a_log(ids["widget"], "create", None, "confirmed"),
        a_log(ids["linked"], "create", None, "confirmed"),
        a_log(ids["linked"], "cancel_by_customer", "confirmed", "cancelled_by_customer"),
    ])  # fmt: skip
    write(database_url, command_keys, [
        a_key("d1", {"data": {"id": str(ids["completed"]), "state": "completed"}}),
        a_key("d2", {"data": {"id": str(ids["cancelled"]), "state": "cancelled_by_owner"}}),
        a_key("w", {"data": {"id": str(ids["widget"])}}),
        a_key("action-link:l", {"data": {"id": str(ids["linked"])}}),
    ])  # fmt: skip
    made = ["stays", "completed", "cancelled", "widget", "linked"]
    journal = [
        *creations(database_url, [ids["class"], ids["open"]],
                   [ids[name] for name in made if name != "widget"]),
        deletion("d1", ids["completed"], "completed", [ids["completed"]],
                 of_class=str(ids["class"])),
        deletion("d2", ids["cancelled"], "cancelled_by_owner", [ids["cancelled"]]),
        deletion("d2", ids["cancelled"], "cancelled_by_owner", [ids["cancelled"]],
                 op="delete_replay"),
        told("w", "widget_booking", 201, str(ids["widget"]), created=[str(ids["widget"])],
             body=body),
        told("w", "widget_retry", 201, str(ids["widget"]), body=body),
        told("action-link:l", "link_cancel", 200, str(ids["linked"]), target=str(ids["linked"])),
    ]  # fmt: skip
    return journal, ids


def test_deletions_widget_bookings_and_link_cancels_as_told_pass(database_url: str) -> None:
    journal, _ids = issue_12_record(database_url)

    findings = check_everything(database_url, journal, receiver=None)

    assert findings.problems == []
    assert (findings.deleted, findings.widget_bookings, findings.link_cancels) == (2, 1, 1)


def test_a_deleted_booking_left_with_its_log_is_named(database_url: str) -> None:
    journal, ids = issue_12_record(database_url)
    write(database_url, bookings, [a_seat(ids["cancelled"], ids["open"], 1, "cancelled_by_owner")])
    write(database_url, booking_logs, [
        a_log(ids["cancelled"], "create", None, "confirmed"),
        a_log(ids["cancelled"], "cancel_by_owner", "confirmed", "cancelled_by_owner"),
    ])  # fmt: skip

    findings = check_everything(database_url, journal, receiver=None)

    assert findings.deleted_left == 1
    assert f"{ids['cancelled']} was deleted, 2 logs or notices left, its row left" in (
        findings.problems
    )


def test_a_booking_gone_that_no_caller_deleted_and_one_deleted_while_open_are_named(
    database_url: str,
) -> None:
    journal, _ids = issue_12_record(database_url)
    gone, open_seat = uuid.uuid4(), uuid.uuid4()
    write(database_url, command_keys, [
        a_key("lost-seat", {"data": {"id": str(gone)}}),
        a_key("d3", {"data": {"id": str(open_seat), "state": "confirmed"}}),
    ])  # fmt: skip
    journal += [
        told("lost-seat", "book_seats", 201, str(gone), created=[str(gone)]),
        deletion("d3", open_seat, "confirmed", [open_seat]),
    ]

    findings = check_everything(database_url, journal, receiver=None)

    assert findings.deleted_unasked == 2
    assert f"{gone} is gone, no caller was told it was deleted" in findings.problems
    assert f"{open_seat} was deleted in state confirmed (group_customer)" in findings.problems


def test_a_class_still_counting_a_deleted_completed_seat_is_named(database_url: str) -> None:
    journal, _ids = issue_12_record(database_url)
    # Given a second completed class whose deleted seat booking of 2 is still counted
    other, gone = uuid.uuid4(), uuid.uuid4()
    write(database_url, bookings, [a_class(other, 5, 2, state="completed")])
    write(database_url, booking_logs, [
        a_log(other, "create", None, "tentative"),
        a_log(other, "complete", "tentative", "completed"),
    ])  # fmt: skip
    write(database_url, command_keys, [
        a_key("c4", {"data": {"id": str(other)}}), a_key("s4", {"data": {"id": str(gone)}}),
        a_key("d4", {"data": {"id": str(gone), "state": "completed"}}),
    ])  # fmt: skip
    journal += [
        told("c4", "create_class", 201, str(other)),
        told("s4", "book_seats", 201, str(gone)),
        deletion("d4", gone, "completed", [gone], of_class=str(other)),
    ]

    findings = check_everything(database_url, journal, receiver=None)

    assert findings.seats_not_freed == 1
    assert any(f"class {other} counts 2 seats" in problem for problem in findings.problems)


def test_a_deletion_replay_told_otherwise_is_named(database_url: str) -> None:
    journal, _ids = issue_12_record(database_url)
    replay = next(entry for entry in journal if entry.op == "delete_replay")
    replay.status, replay.error = 404, "no booking"

    findings = check_everything(database_url, journal, receiver=None)

    assert "deletion d2 told 200 then 404" in findings.problems


def test_a_widget_booking_stored_twice_and_not_as_sent_is_named(database_url: str) -> None:
    journal, ids = issue_12_record(database_url)
    body = next(entry.body for entry in journal if entry.op == "widget_booking")
    assert body is not None
    twice = uuid.uuid4()
    changed = {**body, "meta": {"visit": 4}}
    write(database_url, bookings, [a_widget_seat(twice, ids["open"], changed)])
    write(database_url, booking_logs, [a_log(twice, "create", None, "confirmed")])

    findings = check_everything(database_url, journal, receiver=None)

    assert "widget booking w (201) is stored 2 times" in findings.problems
    assert findings.not_as_sent == 1
    assert f"widget booking {twice} holds meta not as sent" in findings.problems


def test_a_widget_retry_told_another_booking_is_named(database_url: str) -> None:
    journal, _ids = issue_12_record(database_url)
    retry = next(entry for entry in journal if entry.op == "widget_retry")
    retry.status, retry.result_id = 409, None

    findings = check_everything(database_url, journal, receiver=None)

    assert any(p.startswith("widget booking w told 201") for p in findings.problems)


def test_a_seat_cancelled_twice_from_its_link_is_named(database_url: str) -> None:
    journal, ids = issue_12_record(database_url)
    write(database_url, booking_logs, [
        a_log(ids["linked"], "cancel_by_customer", "confirmed", "cancelled_by_customer"),
    ])  # fmt: skip

    findings = check_everything(database_url, journal, receiver=None)

    assert findings.cancelled_twice == 1
    assert any(f"{ids['linked']} cancelled from its link" in p for p in findings.problems)


# Issue 14: running a class --------------------------------------------------------------------


def a_notice(booking_id: uuid.UUID, notice_type: str, **sent: Any) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(), "notification_id": sent.pop("notification_id", uuid.uuid4()),
        "channel": "webhook", "booking_id": booking_id, "type": notice_type,
        "recipient_role": "customer", "payload": {}, "state": "delivered", "attempts": 1,
        "next_attempt_at": NOW, "created_at": NOW, **sent,
    }  # fmt: skip


def a_reminder(
    seat_id: uuid.UUID, class_id: uuid.UUID, notification_id: uuid.UUID
) -> dict[str, Any]:
    return {
        "booking_id": seat_id, "class_id": class_id, "offset_s": 3600,
        "notification_id": notification_id, "sweep_id": uuid.uuid4(),
        "staged_at": NOW - timedelta(minutes=30),
    }  # fmt: skip


def class_run(database_url: str) -> tuple[list[Told], dict[str, uuid.UUID]]:
    """A completed class tracking attendance: one seat checked in and attended, one a no-show,
    one cancelled late; and an open class whose reminder (an hour before, opened half an hour
    ago) went to the seat booked before it opened and not to the one cancelled before that."""
    names = ("ran", "attended", "absent", "late", "reminding", "reminded", "gone", "notice")
    ids = {name: uuid.uuid4() for name in names}
    ran = {"state": "completed", "track_attendance": True, "late_cancel": "allow"}
    write(database_url, bookings, [a_class(ids["ran"], 5, 2, **ran)])
    write(database_url, bookings, [
        a_class(ids["reminding"], 5, 1, starts_at=NOW + timedelta(minutes=30))
    ])  # fmt: skip
    write(database_url, bookings, [
        a_seat(ids["attended"], ids["ran"], 1, "completed"),
        a_seat(ids["absent"], ids["ran"], 1, "no_show"),
        a_seat(ids["reminded"], ids["reminding"], 1, "confirmed"),
        a_seat(ids["gone"], ids["reminding"], 1, "cancelled_by_customer"),
    ])  # fmt: skip
    write(database_url, bookings, [
        {**a_seat(ids["late"], ids["ran"], 1, "late_cancelled"), "late_cancel": "allow"}
    ])  # fmt: skip
    before = NOW - timedelta(days=1)
    write(database_url, booking_logs, [
        a_log(ids["ran"], "create", None, "tentative"),
        a_log(ids["ran"], "complete", "tentative", "completed"),
        a_log(ids["attended"], "create", None, "confirmed"),
        a_log(ids["attended"], "check_in", "confirmed", "checked_in"),
        a_log(ids["attended"], "complete", "checked_in", "completed"),
        a_log(ids["absent"], "create", None, "confirmed"),
        a_log(ids["absent"], "mark_no_show", "confirmed", "no_show"),
        a_log(ids["late"], "create", None, "confirmed"),
        a_log(ids["late"], "late_cancel", "confirmed", "late_cancelled"),
        a_log(ids["reminding"], "create", None, "tentative"),
        {**a_log(ids["reminded"], "create", None, "confirmed"), "created_at": before},
        {**a_log(ids["gone"], "create", None, "confirmed"), "created_at": before},
        {**a_log(ids["gone"], "cancel_by_customer", "confirmed", "cancelled_by_customer"),
         "created_at": before},
    ])  # fmt: skip
    opens_at = NOW + timedelta(minutes=30) - timedelta(hours=1)
    write(database_url, class_reminders, [{
        "class_id": ids["reminding"], "offset_s": 3600, "opens_at": opens_at,
        "closes_at": opens_at + timedelta(hours=1), "settled": True,
    }])  # fmt: skip
    write(
        database_url, reminders_sent, [a_reminder(ids["reminded"], ids["reminding"], ids["notice"])]
    )
    write(database_url, outbox, [
        a_notice(ids["absent"], "booking.no_show"),
        a_notice(ids["late"], "booking.late_cancelled", recipient_role="owner"),
        a_notice(ids["reminded"], "booking.reminder", notification_id=ids["notice"]),
    ])  # fmt: skip
    journal = creations(
        database_url,
        [ids["ran"], ids["reminding"]],
        [ids[name] for name in ("attended", "absent", "late", "reminded", "gone")],
    )
    return journal, ids


def test_a_class_run_with_check_ins_a_no_show_a_late_cancel_and_a_reminder_passes(
    database_url: str,
) -> None:
    journal, _ids = class_run(database_url)

    findings = check_everything(database_url, journal, receiver=None)

    assert findings.problems == []
    assert (findings.check_ins, findings.no_shows, findings.late_cancels) == (1, 1, 1)
    assert findings.reminders == 1


def test_a_seat_checked_in_twice_and_one_checked_in_without_attendance_are_named(
    database_url: str,
) -> None:
    journal, ids = class_run(database_url)
    write(database_url, booking_logs, [
        a_log(ids["attended"], "check_in", "confirmed", "checked_in"),
        a_log(ids["reminded"], "check_in", "confirmed", "checked_in"),
    ])  # fmt: skip

    findings = check_everything(database_url, journal, receiver=None)

    assert findings.attendance_wrong == 2
    assert f"seat booking {ids['attended']}: checked in 2 times" in findings.problems
    assert (
        f"seat booking {ids['reminded']}: checked in at a class that does not track attendance"
        in findings.problems
    )


def test_a_no_show_after_a_check_in_and_one_at_a_class_not_tracking_attendance_are_named(
    database_url: str,
) -> None:
    journal, ids = class_run(database_url)
    other, absent = uuid.uuid4(), uuid.uuid4()
    write(database_url, bookings, [a_class(other, 5, 1, state="completed")])
    write(database_url, bookings, [a_seat(absent, other, 1, "no_show")])
    write(database_url, booking_logs, [
        a_log(other, "create", None, "tentative"),
        a_log(other, "complete", "tentative", "completed"),
        a_log(absent, "create", None, "confirmed"),
        a_log(absent, "mark_no_show", "confirmed", "no_show"),
        # the attended seat marked a no-show after its check-in: an illegal step as well
        a_log(ids["attended"], "mark_no_show", "checked_in", "no_show"),
    ])  # fmt: skip
    write(database_url, outbox, [
        a_notice(absent, "booking.no_show"), a_notice(ids["attended"], "booking.no_show"),
    ])  # fmt: skip
    write(database_url, command_keys, [
        a_key("c-other", {"data": {"id": str(other)}}),
        a_key("s-absent", {"data": {"id": str(absent)}}),
    ])  # fmt: skip
    journal += [
        told("c-other", "create_class", 201, str(other)),
        told("s-absent", "book_seats", 201, str(absent)),
    ]

    findings = check_everything(database_url, journal, receiver=None)

    assert findings.attendance_wrong == 2
    assert any(p.startswith(f"seat booking {absent}: marked a no-show at a class not tracking")
               for p in findings.problems)  # fmt: skip
    assert (
        f"seat booking {ids['attended']}: marked a no-show from checked_in, after a check-in or not"
        in findings.problems
    )
    assert findings.bad_transitions >= 1  # the walk's check names the step too


def test_a_confirmed_seat_completed_as_attended_without_a_check_in_is_named(
    database_url: str,
) -> None:
    journal, ids = class_run(database_url)
    seat = uuid.uuid4()
    write(database_url, bookings, [a_seat(seat, ids["ran"], 1, "completed")])
    write(database_url, booking_logs, [
        a_log(seat, "create", None, "confirmed"), a_log(seat, "complete", "confirmed", "completed")
    ])  # fmt: skip

    findings = check_everything(database_url, journal, receiver=None)

    assert (
        f"seat booking {seat}: completed as attended at an attendance class, never checked in"
        in findings.problems
    )


def test_a_late_cancel_under_the_refuse_policy_is_named(database_url: str) -> None:
    journal, ids = class_run(database_url)
    seat = uuid.uuid4()
    write(database_url, bookings, [a_seat(seat, ids["ran"], 1, "late_cancelled")])
    write(database_url, booking_logs, [
        a_log(seat, "create", None, "confirmed"),
        a_log(seat, "late_cancel", "confirmed", "late_cancelled"),
    ])  # fmt: skip
    write(database_url, outbox, [a_notice(seat, "booking.late_cancelled")])

    findings = check_everything(database_url, journal, receiver=None)

    assert f"seat booking {seat}: cancelled late under the policy None" in findings.problems


def test_a_no_show_told_twice_and_a_late_cancel_never_told_are_named(database_url: str) -> None:
    journal, ids = class_run(database_url)
    write(database_url, outbox, [a_notice(ids["absent"], "booking.no_show")])
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(delete(outbox).where(outbox.c.type == "booking.late_cancelled"))
    engine.dispose()

    findings = check_everything(database_url, journal, receiver=None)

    assert findings.class_notices_off == 2
    assert f"{ids['absent']} was sent 2 booking.no_show, its log says 1" in findings.problems
    assert f"{ids['late']} was sent 0 booking.late_cancelled, its log says 1" in findings.problems


def test_a_reminder_recorded_twice_staged_without_a_record_or_to_a_seat_gone_are_named(
    database_url: str,
) -> None:
    journal, ids = class_run(database_url)
    # Given reminders_sent without its primary key, as in the reminders' control test
    engine = create_engine(database_url)
    with engine.begin() as conn:
        without_the_unique_row(conn)
    engine.dispose()
    twice, stray, gone = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    write(database_url, reminders_sent, [
        a_reminder(ids["reminded"], ids["reminding"], twice),
        a_reminder(ids["gone"], ids["reminding"], gone),
    ])  # fmt: skip
    write(database_url, outbox, [
        a_notice(ids["reminded"], "booking.reminder", notification_id=twice),
        a_notice(ids["reminded"], "booking.reminder", notification_id=stray),
        a_notice(ids["gone"], "booking.reminder", notification_id=gone),
    ])  # fmt: skip

    findings = check_everything(database_url, journal, receiver=None)

    assert findings.reminders == 3
    assert f"{ids['reminded']} reminded 2 times by {ids['reminding']} at 3600 s" in (
        findings.problems
    )
    assert f"a reminder of {ids['reminded']} staged with no record of it" in findings.problems
    assert f"{ids['gone']} reminded, not confirmed when its window opened" in findings.problems


def test_a_reminder_recorded_but_never_staged_is_named(database_url: str) -> None:
    journal, ids = class_run(database_url)
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(delete(outbox).where(outbox.c.type == "booking.reminder"))
    engine.dispose()

    findings = check_everything(database_url, journal, receiver=None)

    assert f"reminder {ids['notice']} staged 0 times (webhook)" in findings.problems


def a_log_row(booking_id: uuid.UUID, state: str) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(), "notification_id": uuid.uuid4(), "channel": "log",
        "booking_id": booking_id, "type": "booking.created", "recipient_role": "owner",
        "payload": {}, "state": state, "attempts": 1, "next_attempt_at": NOW, "created_at": NOW,
    }  # fmt: skip


def test_log_notifications_left_pending_or_never_written_are_named(database_url: str) -> None:
    class_id = uuid.uuid4()
    write(database_url, bookings, [a_class(class_id, 5, 0)])
    written, unwritten, pending = (
        a_log_row(class_id, "delivered"),
        a_log_row(class_id, "delivered"),
        a_log_row(class_id, "pending"),
    )
    write(database_url, outbox, [written, unwritten, pending])
    # Each line as the log channel writes it, one of them twice (at least once is allowed).
    worker_logs = "\n".join(
        f'WARNING {{"id":"{row["notification_id"]}","type":"booking.created"}}'
        for row in (written, written, pending)
    )
    findings = Findings()

    check_log_lines(database_url, worker_logs, findings)

    assert findings.log_notifications == 3
    assert findings.problems == [
        "1 log notifications not marked delivered",
        "1 log notifications never written to a worker's log",
    ]
