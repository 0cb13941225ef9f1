"""Running a class at the handler level on both databases, the clock frozen by freezegun:
check-in and its window, no-shows at completion, late cancels under both policies."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from freezegun import freeze_time
from sqlalchemy import create_engine, select, update

from api_client.contract import BookingResponse, tasks
from harness.bodies import class_body, seat_body
from harness.databases import fresh_database
from tests.support.handlers import act, create, get
from tests.support.invariants import line_accounts
from worker.completion import complete_past_classes
from worker.domain.attendance import LateCancel, policy_of
from worker.handlers import CommandRunner, HandlerDeps
from worker.presenter import booking_data
from worker.storage.migrate import MIGRATIONS_DIR
from worker.storage.tables import bookings

pytestmark = pytest.mark.integration

START = datetime(2032, 3, 5, 18, 0, tzinfo=UTC)
END = START + timedelta(hours=1)
BEFORE = START - timedelta(days=3)
CHECK_IN_OPENS = START - timedelta(hours=1)  # BOOKINGS_CHECK_IN_OPENS' default, "1 hour"
LATE = START - timedelta(hours=2)  # past the "1 day" min_cancel_time, before the start
SECOND = timedelta(seconds=1)


def a_class(deps: HandlerDeps, seats: int = 3, **settings: Any) -> str:
    with freeze_time(BEFORE):
        body = class_body(START, max_seats=seats, min_cancel_time="1 day", **settings)
        body["owner"] = {"name": "Doc Brown", "email": "doc@brown.example"}
        return str(create(deps, body)["data"]["id"])


def book(deps: HandlerDeps, class_id: str, name: str = "Marty McFly", **options: Any) -> str:
    body = seat_body(class_id, 1, "Customer", **options)
    body["customer"] = {"name": name, "email": f"{uuid.uuid4().hex[:8]}@mcfly.example"}
    with freeze_time(BEFORE):
        booked = create(deps, body)["data"]
    return str(booked["id"])


def acted(deps: HandlerDeps, booking_id: str, action: str, at: datetime) -> dict[str, Any]:
    with freeze_time(at):
        return act(deps, booking_id, action)


def check_in_keyed(deps: HandlerDeps, booking_id: str, key: str, at: datetime) -> dict[str, Any]:
    kwargs = {"booking_id": booking_id, "action": "check_in", tasks.KEY_FIELD: key}
    return CommandRunner(deps).handle(tasks.APPLY_ACTION, kwargs, at)


def shown(deps: HandlerDeps, booking_id: str, *include: str, at: datetime = BEFORE) -> Any:
    kwargs = {"booking_id": booking_id, "include": ("attributes", *include)}
    answer = CommandRunner(deps).handle(tasks.GET_BOOKING, kwargs, at)
    BookingResponse.model_validate(answer)  # as the contract documents it
    return answer["data"]


def types_of(deps: HandlerDeps, booking_id: str) -> list[str]:
    notifications = get(deps, booking_id, "notifications")["data"]["notifications"]
    return sorted({(row["type"], row["recipient"]["role"]) for row in notifications})  # type: ignore[arg-type]


def test_a_seat_checks_in_from_the_window_opening_and_not_a_second_before(
    handler_deps: HandlerDeps,
) -> None:
    class_id = a_class(handler_deps, track_attendance=True)
    seat = book(handler_deps, class_id)

    early = acted(handler_deps, seat, "check_in", CHECK_IN_OPENS - SECOND)
    checked = acted(handler_deps, seat, "check_in", CHECK_IN_OPENS)["data"]

    assert early["status"] == 409 and "check-in opens at" in early["error"], early
    assert (checked["state"], checked["checked_in_at"]) == (
        "checked_in",
        CHECK_IN_OPENS.isoformat(),
    )
    assert checked["available_actions"] == ["cancel_by_owner", "complete"]


def test_a_second_check_in_answers_the_first_even_under_a_new_key(
    handler_deps: HandlerDeps,
) -> None:
    class_id = a_class(handler_deps, track_attendance=True)
    seat = book(handler_deps, class_id)

    first = check_in_keyed(handler_deps, seat, str(uuid.uuid4()), START)
    again = check_in_keyed(handler_deps, seat, str(uuid.uuid4()), START + timedelta(minutes=5))

    assert again == first
    logs = get(handler_deps, seat, "logs")["data"]["logs"]
    assert [entry["action"] for entry in logs] == ["create", "check_in"]


def test_a_class_without_attendance_refuses_check_in_with_409(handler_deps: HandlerDeps) -> None:
    class_id = a_class(handler_deps)
    seat = book(handler_deps, class_id)

    refused = acted(handler_deps, seat, "check_in", START)

    assert refused["status"] == 409 and "does not track attendance" in refused["error"]
    assert get(handler_deps, seat)["data"]["state"] == "confirmed"


def test_a_cancelled_booking_cannot_be_checked_in(handler_deps: HandlerDeps) -> None:
    class_id = a_class(handler_deps, track_attendance=True)
    seat = book(handler_deps, class_id)
    acted(handler_deps, seat, "cancel_by_owner", BEFORE)

    refused = acted(handler_deps, seat, "check_in", START)

    assert refused["status"] == 409 and "not allowed" in refused["error"], refused


def test_completing_by_hand_makes_the_checked_in_attended_and_the_others_no_shows(
    handler_deps: HandlerDeps,
) -> None:
    class_id = a_class(handler_deps, track_attendance=True)
    came, missed = book(handler_deps, class_id, "Came"), book(handler_deps, class_id, "Missed")
    acted(handler_deps, came, "check_in", START)

    acted(handler_deps, class_id, "complete", END)

    attended, no_show = shown(handler_deps, came), shown(handler_deps, missed)
    assert (attended["state"], attended["attended"]) == ("completed", True)
    assert (no_show["state"], no_show["attended"], no_show["completed"]) == (
        "no_show",
        False,
        True,
    )
    assert ("booking.no_show", "customer") in types_of(handler_deps, missed)
    assert not any(kind == "booking.no_show" for kind, _ in types_of(handler_deps, came))
    attendance = shown(handler_deps, class_id, "attendance")["attendance"]
    assert (attendance["booked"], attendance["checked_in"], attendance["no_show"]) == (2, 1, 1)
    assert {entry["state"] for entry in attendance["bookings"]} == {"completed", "no_show"}


def test_the_completion_sweep_marks_no_shows_once_and_tells_each_customer(
    handler_deps: HandlerDeps,
) -> None:
    class_id = a_class(handler_deps, track_attendance=True)
    came, missed = book(handler_deps, class_id, "Came"), book(handler_deps, class_id, "Missed")
    acted(handler_deps, came, "check_in", START)
    after = END + timedelta(hours=2)

    complete_past_classes(handler_deps.unit_of_work, now=after, grace_s=3600, batch=500)
    complete_past_classes(handler_deps.unit_of_work, now=after, grace_s=3600, batch=500)

    assert get(handler_deps, class_id)["data"]["state"] == "completed"
    assert get(handler_deps, came)["data"]["attended"] is True
    missed_logs = get(handler_deps, missed, "logs", "notifications")["data"]
    assert [entry["action"] for entry in missed_logs["logs"]] == ["create", "mark_no_show"]
    no_shows = [row for row in missed_logs["notifications"] if row["type"] == "booking.no_show"]
    assert [row["recipient"]["role"] for row in no_shows] == ["customer"]
    with handler_deps.read_only() as uow:
        [account] = line_accounts(uow.connection, [class_id])
    assert account.holds, account


def test_without_attendance_completion_stays_as_before(handler_deps: HandlerDeps) -> None:
    class_id = a_class(handler_deps)
    seat = book(handler_deps, class_id)

    acted(handler_deps, class_id, "complete", END)

    completed = get(handler_deps, seat)["data"]
    assert completed["state"] == "completed" and "attended" not in completed


def test_a_late_cancel_is_refused_under_the_default_policy(handler_deps: HandlerDeps) -> None:
    class_id = a_class(handler_deps)
    seat = book(handler_deps, class_id)

    refused = acted(handler_deps, seat, "cancel_by_customer", LATE)

    assert refused["status"] == 409 and "customers may cancel until" in refused["error"]


def test_a_late_cancel_under_allow_frees_the_seat_promotes_the_line_and_tells_the_owner(
    handler_deps: HandlerDeps,
) -> None:
    class_id = a_class(handler_deps, 1, late_cancel="allow", waitlist_size=3)
    seat = book(handler_deps, class_id)
    waiting = book(handler_deps, class_id, "Waiting", waitlist=True)

    cancelled = acted(handler_deps, seat, "cancel_by_customer", LATE)["data"]

    assert (cancelled["state"], cancelled["completed"]) == ("late_cancelled", True)
    assert get(handler_deps, waiting)["data"]["state"] == "confirmed"
    assert ("booking.late_cancelled", "owner") in types_of(handler_deps, seat)
    logs = get(handler_deps, seat, "logs")["data"]["logs"]
    assert logs[-1]["action"] == "late_cancel"
    with handler_deps.read_only() as uow:
        [account] = line_accounts(uow.connection, [class_id])
    assert account.holds, account


def test_an_on_time_cancel_under_allow_is_an_ordinary_cancel(handler_deps: HandlerDeps) -> None:
    class_id = a_class(handler_deps, late_cancel="allow")
    seat = book(handler_deps, class_id)

    cancelled = acted(handler_deps, seat, "cancel_by_customer", BEFORE)["data"]

    assert cancelled["state"] == "cancelled_by_customer"


def test_an_owner_cancel_is_never_late(handler_deps: HandlerDeps) -> None:
    class_id = a_class(handler_deps, late_cancel="allow")
    seat = book(handler_deps, class_id)

    cancelled = acted(handler_deps, seat, "cancel_by_owner", LATE)["data"]

    assert cancelled["state"] == "cancelled_by_owner"


def test_the_policy_stored_when_the_seat_was_booked_decides_not_the_class_s_current_one(
    handler_deps: HandlerDeps, handler_database: str
) -> None:
    class_id = a_class(handler_deps, late_cancel="allow")
    booked_under_allow = book(handler_deps, class_id, "Early")
    # No command changes a class's settings today; the row is changed as a future one would.
    with handler_deps.unit_of_work() as uow:
        uow.connection.execute(
            update(bookings)
            .where(bookings.c.id == uuid.UUID(class_id))
            .values(late_cancel="refuse")
        )
        uow.commit()
    booked_under_refuse = book(handler_deps, class_id, "Later")

    late_one = acted(handler_deps, booked_under_allow, "cancel_by_customer", LATE)
    refused = acted(handler_deps, booked_under_refuse, "cancel_by_customer", LATE)

    assert late_one["data"]["state"] == "late_cancelled"
    assert refused["status"] == 409


def test_the_cancel_policy_answers_on_time_late_or_refused_and_until_when(
    handler_deps: HandlerDeps,
) -> None:
    allowing = book(handler_deps, a_class(handler_deps, late_cancel="allow"))
    refusing = book(handler_deps, a_class(handler_deps))
    deadline = START - timedelta(days=1)

    on_time = shown(handler_deps, allowing, "cancel_policy", at=deadline)["cancel_policy"]
    late = shown(handler_deps, allowing, "cancel_policy", at=LATE)["cancel_policy"]
    refused = shown(handler_deps, refusing, "cancel_policy", at=LATE)["cancel_policy"]

    assert on_time == {
        "late_cancel": "allow",
        "cancel_now": "on_time",
        "on_time_until": deadline.isoformat(),
    }
    assert (late["cancel_now"], refused["cancel_now"]) == ("late", "refused")


def test_the_roster_lists_seats_by_name_with_state_and_check_in(handler_deps: HandlerDeps) -> None:
    class_id = a_class(handler_deps, track_attendance=True, waitlist_size=2)
    zoe, adam = book(handler_deps, class_id, 'Zoe, the "Z"'), book(handler_deps, class_id, "Adam")
    book(handler_deps, class_id, "Bea")
    book(handler_deps, class_id, "Waiting", waitlist=True)
    acted(handler_deps, zoe, "check_in", START)

    roster = CommandRunner(handler_deps).handle(tasks.GET_ROSTER, {"booking_id": class_id}, START)

    lines = roster["data"]
    assert [line["name"] for line in lines] == ["Adam", "Bea", 'Zoe, the "Z"']
    assert lines[0]["id"] == adam and lines[0]["checked_in_at"] is None
    assert (lines[2]["state"], lines[2]["checked_in_at"]) == ("checked_in", START.isoformat())
    assert lines[0]["booked_at"] == BEFORE.isoformat()


def test_the_roster_of_a_seat_booking_or_an_unknown_id_is_404(handler_deps: HandlerDeps) -> None:
    seat = book(handler_deps, a_class(handler_deps))
    runner = CommandRunner(handler_deps)

    for missing in (seat, str(uuid.uuid4())):
        answer = runner.handle(tasks.GET_ROSTER, {"booking_id": missing}, START)
        assert answer["status"] == 404, answer


def test_a_class_made_before_migration_0007_tracks_no_attendance_and_refuses_late_cancels(
    backend: str, workdir: Path
) -> None:
    with fresh_database(backend, workdir) as database_url:
        engine = create_engine(database_url)
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["engine"] = engine
        command.upgrade(config, "0006")
        with engine.begin() as conn:  # as a class was written then: none of 0007's columns
            body = class_body(START)
            conn.execute(
                bookings.insert().values(
                    {
                        "id": (class_id := uuid.uuid4()),
                        "graph": "group_owner",
                        "state": "tentative",
                        "created_at": BEFORE,
                        "updated_at": BEFORE,
                        "starts_at": START,
                        "ends_at": END,
                        "what": body["event"]["what"],
                        "calendar_id": "studio-1",
                        "max_seats": 3,
                        "current_seats": 0,
                        "auto_complete": True,
                        "waitlist_size": 0,
                        "waitlist_promotion": "automatic",
                        "offer_s": 7200,
                        "waitlist_seats": 0,
                        "offered_seats": 0,
                        "line_arrivals": 0,
                    }
                )
            )

        command.upgrade(config, "head")  # 0007 and any later one: the table as it is now

        with engine.connect() as conn:
            row = conn.execute(select(bookings).where(bookings.c.id == class_id)).mappings().one()
        engine.dispose()
    assert (row["track_attendance"], row["late_cancel"], row["checked_in_at"]) == (None, None, None)
    assert policy_of(row["late_cancel"]) is LateCancel.REFUSE
    settings = booking_data(row, include=("attributes",))["attributes"]["settings"]
    assert (settings["track_attendance"], settings["late_cancel"]) == (False, "refuse")
