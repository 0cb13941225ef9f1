"""Seat bookings applied together (a batch): one transaction, and still one answer each.

Handler level, on both databases and both ways a batch writes (its rows deferred to one insert
per table, or a savepoint and inserts per booking): the runner's `handle_together` is what a
pool process runs for a batch of create_booking messages (worker/handlers/together.py).
"""

from __future__ import annotations

import dataclasses
import tempfile
import uuid
from datetime import timedelta
from typing import Any

import pytest
import redis
from freezegun import freeze_time
from sqlalchemy import Engine, create_engine, event, func, select

from api_client.contract import tasks
from harness.bodies import class_body, in_days, seat_body
from tests.support.handlers import act, create, get, now_utc
from tests.support.invariants import seat_accounts
from worker.config import Settings
from worker.domain.errors import ClassBusyError
from worker.handlers import CommandRunner, HandlerDeps
from worker.handlers.together import Answer, Answered, Call, Postponed
from worker.locks import ClassLocks
from worker.storage.engine import engine_for
from worker.storage.tables import outbox

pytestmark = pytest.mark.integration

BATCH_WRITES = ("deferred", "per-booking")


@pytest.fixture(params=BATCH_WRITES)
def handler_deps(handler_deps: HandlerDeps, request: pytest.FixtureRequest) -> HandlerDeps:
    return dataclasses.replace(handler_deps, batch_writes=request.param)


def call(body: dict[str, Any], key: str | None = None) -> Call:
    kwargs = {tasks.BODY_FIELD: body, tasks.KEY_FIELD: key or str(uuid.uuid4())}
    return Call(id=str(uuid.uuid4()), kwargs=kwargs)


def together(deps: HandlerDeps, calls: list[Call]) -> list[Answer]:
    answers = CommandRunner(deps).handle_together(tasks.CREATE_BOOKING, calls, now_utc())
    assert set(answers) == {c.id for c in calls}, "every call is answered"
    return [answers[c.id] for c in calls]


def results(answers: list[Answer]) -> list[dict[str, Any]]:
    assert all(isinstance(answer, Answered) for answer in answers), answers
    return [answer.result for answer in answers if isinstance(answer, Answered)]


def new_class(deps: HandlerDeps, max_seats: int) -> str:
    return new_class_from(deps, class_body(max_seats=max_seats))


def new_class_from(deps: HandlerDeps, body: dict[str, Any]) -> str:
    return str(create(deps, body)["data"]["id"])


def outbox_rows_of(database_url: str, booking_id: str) -> int:
    with create_engine(database_url).connect() as conn:
        query = select(func.count()).where(outbox.c.booking_id == uuid.UUID(booking_id))
        return int(conn.execute(query).scalar_one())


def test_bookings_of_several_classes_each_get_their_own_answer_and_a_full_class_refuses_alone(
    handler_deps: HandlerDeps, handler_database: str
) -> None:
    small, roomy = new_class(handler_deps, 3), new_class(handler_deps, 10)
    # Given a batch that asks for five seats in a class of three, between bookings elsewhere
    bodies = [seat_body(small if i % 2 == 0 else roomy, seats=1, name=f"C{i}") for i in range(10)]

    answered = results(together(handler_deps, [call(body) for body in bodies]))

    # Then the first three for the small class (in arrival order) hold its seats, the next two
    # are refused as full, and the roomy class's bookings are all confirmed: each answer is
    # the one of its own request
    states = [a["data"]["state"] if "data" in a else a["status"] for a in answered]
    assert states == [
        "confirmed", "confirmed", "confirmed", "confirmed", "confirmed",
        "confirmed", 409, "confirmed", 409, "confirmed",
    ]  # fmt: skip
    names = [a["data"]["attributes"]["customer"]["name"] for a in answered if "data" in a]
    assert names == [f"C{i}" for i in range(10) if i not in (6, 8)]
    accounts = {str(a.class_id): a for a in seat_accounts(handler_database, [small, roomy])}
    assert all(account.holds for account in accounts.values())
    assert (accounts[small].current_seats, accounts[roomy].current_seats) == (3, 5)


def test_a_refused_booking_of_a_batch_leaves_only_its_recorded_refusal(
    handler_deps: HandlerDeps, handler_database: str
) -> None:
    full = new_class(handler_deps, 1)
    first, refused = call(seat_body(full, seats=1)), call(seat_body(full, seats=1))

    confirmed, refusal = results(together(handler_deps, [first, refused]))

    # The confirmed booking staged its notices; the refused one wrote nothing, and its key
    # answers the same refusal when the message comes again, even once a seat is free
    assert refusal == {"status": 409, "error": refusal["error"]}
    assert outbox_rows_of(handler_database, confirmed["data"]["id"]) > 0
    cancelled = act(handler_deps, confirmed["data"]["id"], "cancel_by_customer")
    assert cancelled["data"]["state"] == "cancelled_by_customer"
    assert results(together(handler_deps, [refused])) == [refusal]
    [account] = seat_accounts(handler_database, [full])
    assert account.holds and account.current_seats == 0


def test_the_same_key_twice_in_one_batch_is_applied_once(
    handler_deps: HandlerDeps, handler_database: str
) -> None:
    klass = new_class(handler_deps, 10)
    key = str(uuid.uuid4())
    body = seat_body(klass, seats=2)

    # Given a message and its duplicate delivery taken in the same batch
    first, twin = results(together(handler_deps, [call(body, key), call(body, key)]))

    assert twin == first
    [account] = seat_accounts(handler_database, [klass])
    assert (account.current_seats, account.seats_held) == (2, 2)


def test_a_key_answered_before_is_replayed_and_one_reused_for_another_body_is_refused(
    handler_deps: HandlerDeps, handler_database: str
) -> None:
    klass = new_class(handler_deps, 10)
    key = str(uuid.uuid4())
    earlier = create(handler_deps, seat_body(klass, seats=1), key)

    same_body, other_body = seat_body(klass, seats=1), seat_body(klass, seats=3)
    replay, reused = results(together(handler_deps, [call(same_body, key), call(other_body, key)]))

    assert replay == earlier
    assert reused["status"] == 422 and "idempotency_key" in reused["errors"]
    [account] = seat_accounts(handler_database, [klass])
    assert account.current_seats == 1


def test_an_invalid_body_and_a_new_class_in_a_batch_are_answered_alone(
    handler_deps: HandlerDeps,
) -> None:
    klass = new_class(handler_deps, 10)
    bad = seat_body(klass, seats=0)

    booked, refused, created = results(
        together(handler_deps, [call(seat_body(klass, 1)), call(bad), call(class_body())])
    )

    assert booked["data"]["state"] == "confirmed"
    assert refused["status"] == 422 and "errors" in refused
    assert created["data"]["graph"] == "group_owner"


def test_a_class_that_stays_locked_postpones_only_its_own_bookings(
    handler_deps: HandlerDeps, handler_redis: redis.Redis, handler_database: str
) -> None:
    locked, free = new_class(handler_deps, 10), new_class(handler_deps, 10)
    deps = dataclasses.replace(handler_deps, locks=ClassLocks(handler_redis, ttl_s=10, wait_s=0.1))
    calls = [call(seat_body(locked, 1)), call(seat_body(free, 1)), call(seat_body(free, 1))]

    # Given another worker holding the lock of one class for the whole batch
    with ClassLocks(handler_redis, ttl_s=10, wait_s=1).holding(uuid.UUID(locked)):
        waiting, *booked = together(deps, calls)

    # Then that class's booking is postponed (to be sent again), and the others go ahead
    assert isinstance(waiting, Postponed) and isinstance(waiting.reason, ClassBusyError)
    assert [a["data"]["state"] for a in results(booked)] == ["confirmed", "confirmed"]
    accounts = {str(a.class_id): a.current_seats for a in seat_accounts(handler_database)}
    assert (accounts[locked], accounts[free]) == (0, 2)


def answered_with_statements(
    engine: Engine, deps: HandlerDeps, calls: list[Call]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The batch's results, and the statements it sent to the database by their first word."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement.split()[0].upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        answered = results(together(deps, calls))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return answered, [word for word in sent if word != "BEGIN"]  # SQLite's BEGIN IMMEDIATE


def test_deferred_writes_read_classes_in_one_statement_an_update_per_booking_an_insert_per_table(
    handler_deps: HandlerDeps, handler_database: str
) -> None:
    engine = engine_for(Settings(database_url=handler_database))
    hot, other = new_class(handler_deps, 20), new_class(handler_deps, 20)
    calls = [call(seat_body(hot if i < 8 else other, seats=1, name=f"C{i}")) for i in range(10)]

    _, sent = answered_with_statements(engine, handler_deps, calls)

    if handler_deps.batch_writes == "deferred":
        # Both class rows read (and locked) together, and the seats taken per booking; then
        # the bookings, their logs, their outbox rows and their keys, one insert each
        assert sorted(sent) == sorted(["SELECT"] + ["UPDATE"] * 10 + ["INSERT"] * 4)
    else:
        # A savepoint, the read, the update, four inserts and the release, per booking
        assert len(sent) == 8 * 10 and sent.count("SAVEPOINT") == 10
    accounts = {str(a.class_id): a for a in seat_accounts(handler_database, [hot, other])}
    assert (accounts[hot].current_seats, accounts[other].current_seats) == (8, 2)


def syncs_after_first_insert(engine: Engine, deps: HandlerDeps, calls: list[Call]) -> int:
    """How many Sync messages (each ends a round trip) the batch's transaction sent to
    PostgreSQL from its first insert on, read from libpq's own trace of the connection.
    Statements are not prepared meanwhile, so that each shows its text."""
    with tempfile.TemporaryFile("w+") as trace:
        threshold: list[int | None] = []

        def on_begin(conn: Any) -> None:
            driver = conn.connection.driver_connection
            threshold.append(driver.prepare_threshold)
            driver.prepare_threshold = None
            driver.pgconn.trace(trace.fileno())

        def on_commit(conn: Any) -> None:
            driver = conn.connection.driver_connection
            driver.pgconn.untrace()
            driver.prepare_threshold = threshold.pop()

        event.listen(engine, "begin", on_begin)
        event.listen(engine, "commit", on_commit)
        try:
            together(deps, calls)
        finally:
            event.remove(engine, "begin", on_begin)
            event.remove(engine, "commit", on_commit)
        trace.seek(0)
        sent = [line.rstrip("\n").split("\t")[3:] for line in trace if "\tF\t" in line]
    first_insert = next(i for i, message in enumerate(sent) if "INSERT INTO" in str(message))
    return sum(1 for message in sent[first_insert:] if message[0] == "Sync")


def test_a_batchs_inserts_reach_postgresql_in_one_round_trip(
    handler_deps: HandlerDeps, handler_database: str, backend: str
) -> None:
    if backend != "postgresql" or handler_deps.batch_writes != "deferred":
        pytest.skip("psycopg's pipeline mode, for the deferred inserts")
    engine = engine_for(Settings(database_url=handler_database))
    classes = [new_class(handler_deps, 20) for _ in range(2)]
    calls = [call(seat_body(classes[i % 2], seats=1, name=f"C{i}")) for i in range(6)]

    # The four inserts (bookings, logs, outbox rows, keys) end in one Sync, not one each
    assert syncs_after_first_insert(engine, handler_deps, calls) == 1


def test_a_class_read_once_is_read_again_after_a_booking_joins_its_line(
    handler_deps: HandlerDeps, handler_database: str
) -> None:
    engine = engine_for(Settings(database_url=handler_database))
    klass = new_class_from(handler_deps, class_body(max_seats=3, waitlist_size=5))
    # Given a batch whose bookings fill the class, then wait in its line of five seats (the
    # fifth finds too little room left in it, the last enough)
    seats = [2, 1, 2, 1, 3, 1]
    calls = [call(seat_body(klass, n, f"C{i}", waitlist=i >= 2)) for i, n in enumerate(seats)]

    answered, sent = answered_with_statements(engine, handler_deps, calls)

    # Then each is answered as it would be alone, from the class row as each joining left it
    # (read again, not a copy read before): so the fifth is refused before it writes, and
    # deferred writes need no second attempt with savepoints
    states = [a["data"]["state"] if "data" in a else a["status"] for a in answered]
    assert states == ["confirmed", "confirmed", "waitlisted", "waitlisted", 409, "waitlisted"]
    waiting = [answered[i]["data"]["attributes"]["waitlist"]["position"] for i in (2, 3, 5)]
    assert waiting == [1, 2, 3]
    if handler_deps.batch_writes == "deferred":
        # The class read by the first, and again after each of the first two joined the line;
        # each place in line read after its joining
        assert "SAVEPOINT" not in sent and sent.count("SELECT") == 3 + 3, sent
    [account] = seat_accounts(handler_database, [klass])
    assert account.holds and account.current_seats == 3


START = in_days(7)
OFFER_LAPSED = START - timedelta(days=3) + timedelta(hours=1, seconds=1)


def test_a_booking_refused_after_its_class_changed_is_undone_whole_and_the_others_stand(
    handler_deps: HandlerDeps, handler_database: str
) -> None:
    # Given a full class of two in offer mode whose one freed seat was offered an hour ago
    with freeze_time(START - timedelta(days=3)):
        body = class_body(
            START, max_seats=2, waitlist_size=5, waitlist_promotion="offer", offer_time="1 hour"
        )
        klass = new_class_from(handler_deps, body)
        holders = [create(handler_deps, seat_body(klass, 1, f"H{i}"))["data"]["id"] for i in "12"]
        waiting = create(handler_deps, seat_body(klass, 1, "Jennifer", waitlist=True))["data"]
        act(handler_deps, holders[0], "cancel_by_customer")
    notices_before = outbox_rows_of(handler_database, waiting["id"])
    other = new_class(handler_deps, 10)

    # When, after the offer lapsed, a batch asks for three seats there (the lapsed offer is
    # expired first, a change, and then the booking refused), between two bookings elsewhere
    calls = [call(seat_body(other, 1)), call(seat_body(klass, 3)), call(seat_body(other, 1))]
    with freeze_time(OFFER_LAPSED):
        first, too_many, last = results(together(handler_deps, calls))

    # Then the refusal took the offer's expiry with it (the sweep expires it and tells Jennifer),
    # and the bookings of the other class are confirmed
    assert too_many["status"] in (409, 422), too_many
    assert get(handler_deps, waiting["id"])["data"]["state"] == "offered"
    assert outbox_rows_of(handler_database, waiting["id"]) == notices_before
    assert [first["data"]["state"], last["data"]["state"]] == ["confirmed", "confirmed"]
    accounts = {str(a.class_id): a for a in seat_accounts(handler_database, [klass, other])}
    assert all(account.holds for account in accounts.values())
    assert (accounts[klass].current_seats, accounts[other].current_seats) == (1, 2)
