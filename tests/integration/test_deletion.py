"""DELETE of a booking in a final state, through the client and a real worker on both databases:
a seat booking alone, a class with all its seat bookings, their logs and outbox rows with them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import pytest
from sqlalchemy import create_engine, func, select

from api_client import BookingClient, ConflictError, NotFoundError
from harness.bodies import class_body, in_days, seat_body
from harness.workers import Deployment
from worker.storage.tables import booking_logs, bookings, outbox

pytestmark = pytest.mark.integration


def rows_naming(database_url: str, booking_ids: Iterable[str]) -> dict[str, int]:
    """How many bookings, logs and outbox rows the database still holds for these ids."""
    ids = [uuid.UUID(booking_id) for booking_id in booking_ids]
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return {
                table.name: conn.execute(
                    select(func.count()).select_from(table).where(column.in_(ids))
                ).scalar_one()
                for table, column in (
                    (bookings, bookings.c.id),
                    (booking_logs, booking_logs.c.booking_id),
                    (outbox, outbox.c.booking_id),
                )
            }
    finally:
        engine.dispose()


NOTHING = {"bookings": 0, "booking_logs": 0, "outbox": 0}


def test_a_cancelled_seat_booking_goes_with_its_logs_and_notifications_its_class_seats_kept(
    client: BookingClient, deployment: Deployment
) -> None:
    klass = client.create_booking(class_body(in_days(41), max_seats=5))["data"]
    leaving = client.create_booking(seat_body(klass["id"], seats=2))["data"]
    staying = client.create_booking(seat_body(klass["id"], seats=1, name="Lorraine Baines"))["data"]
    client.cancel_by_customer(leaving["id"])
    before = client.get_booking(klass["id"], include="attributes")["data"]["attributes"]

    answer = client.delete_booking(leaving["id"])["data"]

    assert answer == {
        "id": leaving["id"],
        "graph": "group_customer",
        "state": "cancelled_by_customer",
        "deleted": True,
        "deleted_booking_ids": [leaving["id"]],
    }
    with pytest.raises(NotFoundError):
        client.get_booking(leaving["id"])
    after = client.get_booking(klass["id"], include="attributes,related_bookings")["data"]
    assert after["attributes"]["group_booking"] == before["group_booking"]
    assert after["attributes"]["group_booking"]["current_seats"] == 1
    assert [seat["id"] for seat in after["related_bookings"]] == [staying["id"]]
    assert rows_naming(deployment.database_url, [leaving["id"]]) == NOTHING
    kept = rows_naming(deployment.database_url, [staying["id"]])
    assert kept["bookings"] == 1 and kept["booking_logs"] >= 1 and kept["outbox"] >= 1


@pytest.mark.parametrize("state", ["confirmed", "waitlisted"])
def test_a_seat_booking_not_final_is_refused_and_kept(
    client: BookingClient, deployment: Deployment, state: str
) -> None:
    klass = client.create_booking(class_body(in_days(42), max_seats=1, waitlist_size=3))["data"]
    held = client.create_booking(seat_body(klass["id"]))["data"]
    waiting = client.create_booking(seat_body(klass["id"], name="Biff", waitlist=True))["data"]
    booking = held if state == "confirmed" else waiting
    assert booking["state"] == state
    before = rows_naming(deployment.database_url, [booking["id"]])

    with pytest.raises(ConflictError, match="not final"):
        client.delete_booking(booking["id"])

    assert client.get_booking(booking["id"])["data"]["state"] == state
    assert rows_naming(deployment.database_url, [booking["id"]]) == before


def test_an_open_class_is_refused_even_with_every_seat_booking_cancelled(
    client: BookingClient,
) -> None:
    klass = client.create_booking(class_body(in_days(43)))["data"]
    seat = client.create_booking(seat_body(klass["id"]))["data"]
    client.cancel_by_owner(seat["id"])

    with pytest.raises(ConflictError, match="tentative"):
        client.delete_booking(klass["id"])

    assert client.get_booking(klass["id"])["data"]["state"] == "tentative"
    assert client.get_booking(seat["id"])["data"]["state"] == "cancelled_by_owner"


def test_a_cancelled_class_goes_with_all_its_seat_bookings_their_logs_and_notifications(
    client: BookingClient, deployment: Deployment
) -> None:
    klass = client.create_booking(class_body(in_days(44), max_seats=2, waitlist_size=2))["data"]
    seats = [
        client.create_booking(seat_body(klass["id"], name=name, waitlist=True))["data"]["id"]
        for name in ("Marty McFly", "Lorraine Baines", "George McFly")
    ]
    client.cancel_by_customer(seats[0])  # George is promoted from the line
    client.cancel(klass["id"])
    assert rows_naming(deployment.database_url, [klass["id"], *seats])["outbox"] > 0

    answer = client.delete_booking(klass["id"])["data"]

    assert answer["graph"] == "group_owner" and answer["state"] == "cancelled"
    assert sorted(answer["deleted_booking_ids"][:-1]) == sorted(seats)
    assert answer["deleted_booking_ids"][-1] == klass["id"]
    for booking_id in (klass["id"], *seats):
        with pytest.raises(NotFoundError):
            client.get_booking(booking_id)
    assert rows_naming(deployment.database_url, [klass["id"], *seats]) == NOTHING


def test_unknown_ids_are_not_found(client: BookingClient) -> None:
    with pytest.raises(NotFoundError):
        client.delete_booking(str(uuid.uuid4()))


def test_a_replay_answers_what_was_answered_and_a_new_key_finds_nothing(
    client: BookingClient,
) -> None:
    klass = client.create_booking(class_body(in_days(45)))["data"]
    client.cancel(klass["id"])
    key = f"delete-{uuid.uuid4()}"

    first = client.delete_booking(klass["id"], idempotency_key=key)

    assert client.delete_booking(klass["id"], idempotency_key=key) == first
    with pytest.raises(NotFoundError):
        client.delete_booking(klass["id"])
