"""Bad input gets a clear error in Timekit's shape and writes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from celery import Celery

from api_client import BookingClient, ConflictError, InvalidRequestError, NotFoundError
from api_client.contract import tasks
from harness.bodies import class_body, seat_body
from harness.waiting import eventually
from harness.workers import Deployment
from tests.support.invariants import seat_accounts

pytestmark = pytest.mark.integration


def count_classes(deployment: Deployment) -> int:
    return len(seat_accounts(deployment.database_url))


def send_raw(deployment: Deployment, task_name: str, **kwargs: Any) -> dict[str, Any]:
    """A producer that skips the client's validation, as a foreign system might."""
    app = Celery(broker=deployment.redis_url, backend=deployment.redis_url, set_as_current=False)
    try:
        result: dict[str, Any] = app.send_task(task_name, kwargs=kwargs, queue=tasks.QUEUE).get(
            timeout=30
        )
        return result
    finally:
        app.close()


def test_the_client_refuses_a_naive_timestamp_before_enqueueing(client: BookingClient) -> None:
    body = class_body()
    body["event"]["start"] = "2030-09-30T08:00:00"

    with pytest.raises(InvalidRequestError) as refused:
        client.create_booking(body)

    assert refused.value.status == 422
    assert "event.start" in (refused.value.errors or {})


def test_the_worker_refuses_a_malformed_body_from_a_foreign_producer_and_writes_nothing(
    deployment: Deployment,
) -> None:
    before = count_classes(deployment)
    body = class_body(max_seats=0)
    body["event"]["end"] = body["event"]["start"]

    result = send_raw(
        deployment, tasks.CREATE_BOOKING, idempotency_key=str(uuid.uuid4()), body=body
    )

    assert result["status"] == 422
    assert set(result["errors"]) == {"settings.max_seats", "event.end"}
    assert count_classes(deployment) == before


def test_an_unknown_graph_is_refused_naming_the_graph_field(deployment: Deployment) -> None:
    result = send_raw(
        deployment,
        tasks.CREATE_BOOKING,
        idempotency_key=str(uuid.uuid4()),
        body={**class_body(), "graph": "group_party"},
    )

    assert result == {
        "status": 422,
        "errors": {"graph": ["must be one of: group_owner, group_customer"]},
    }


def test_a_foreign_producers_name_with_a_line_break_is_refused_by_the_worker_too(
    deployment: Deployment,
) -> None:
    body = class_body()
    body["owner"] = {"name": "Doc\r\nBcc: evil@example.com", "email": "doc@hill-valley.example"}
    before = count_classes(deployment)

    result = send_raw(
        deployment, tasks.CREATE_BOOKING, idempotency_key=str(uuid.uuid4()), body=body
    )

    assert result == {
        "status": 422,
        "errors": {"owner.name": ["must not contain control characters or line breaks"]},
    }
    assert count_classes(deployment) == before


def test_an_unknown_action_is_refused(deployment: Deployment) -> None:
    result = send_raw(
        deployment,
        tasks.APPLY_ACTION,
        idempotency_key=str(uuid.uuid4()),
        booking_id=str(uuid.uuid4()),
        action="explode",
        message=None,
    )

    assert result["status"] == 422
    assert "action" in result["errors"]


def test_booking_an_unknown_class_is_not_found(client: BookingClient) -> None:
    with pytest.raises(NotFoundError, match="no class"):
        client.create_booking(seat_body(str(uuid.uuid4())))


def test_a_malformed_id_is_invalid_and_an_unknown_id_is_not_found(client: BookingClient) -> None:
    with pytest.raises(InvalidRequestError) as malformed:
        client.get_booking("not-a-uuid")
    assert "booking_id" in (malformed.value.errors or {})

    with pytest.raises(NotFoundError) as unknown:
        client.cancel(str(uuid.uuid4()))
    assert unknown.value.to_result()["status"] == 404


def test_more_seats_than_the_class_has_is_invalid(client: BookingClient) -> None:
    klass = client.create_booking(class_body(max_seats=5))["data"]

    with pytest.raises(InvalidRequestError) as refused:
        client.create_booking(seat_body(klass["id"], seats=6))

    assert refused.value.errors == {"seats": ["must be at most 5, the seats in this class"]}


def test_an_action_the_graph_does_not_allow_is_a_conflict_and_changes_nothing(
    client: BookingClient,
) -> None:
    klass = client.create_booking(class_body())["data"]
    seat = client.create_booking(seat_body(klass["id"], seats=2))["data"]

    with pytest.raises(ConflictError, match="not allowed"):
        client.cancel(seat["id"])  # `cancel` belongs to the class's graph
    with pytest.raises(ConflictError, match="not allowed"):
        client.cancel_by_customer(klass["id"])
    client.cancel_by_owner(seat["id"])
    with pytest.raises(ConflictError, match="cancelled_by_owner"):
        client.cancel_by_customer(seat["id"])

    after = client.get_booking(klass["id"], include=["attributes"])["data"]
    assert after["state"] == "tentative"
    assert after["attributes"]["group_booking"]["current_seats"] == 0


def test_asking_for_more_seats_than_are_left_says_how_many_are_left(
    client: BookingClient,
) -> None:
    klass = client.create_booking(class_body(max_seats=3))["data"]
    client.create_booking(seat_body(klass["id"], seats=2))

    with pytest.raises(ConflictError) as refused:
        client.create_booking(seat_body(klass["id"], seats=2))

    assert refused.value.status == 409
    assert "only 1 seat is left" in refused.value.message


# The waitlist's settings and actions -----------------------------------------------------

BAD_LINE_SETTINGS = [
    ("waitlist_size", -1),
    ("waitlist_size", "3"),
    ("waitlist_size", 2.5),
    ("waitlist_promotion", "lottery"),
    ("offer_time", "soonish"),
    ("offer_time", "0 seconds"),
]
# A class's reminders: more than five, not a list, too close to the start.
BAD_REMINDERS = [
    ["1 week", "3 days", "1 day", "12 hours", "1 hour", "30 minutes"],
    "1 day",
    ["30 seconds"],
]


@pytest.mark.parametrize(("setting", "value"), BAD_LINE_SETTINGS)
def test_a_bad_waitlist_setting_is_refused_by_the_client_and_by_the_worker_and_writes_nothing(
    client: BookingClient, deployment: Deployment, setting: str, value: Any
) -> None:
    before = count_classes(deployment)
    body = class_body(**{setting: value})

    with pytest.raises(InvalidRequestError) as by_client:
        client.create_booking(body)
    by_worker = send_raw(
        deployment, tasks.CREATE_BOOKING, idempotency_key=str(uuid.uuid4()), body=body
    )

    assert by_client.value.status == 422
    assert list(by_client.value.errors or {}) == [f"settings.{setting}"]
    assert by_worker["status"] == 422
    assert list(by_worker["errors"]) == [f"settings.{setting}"]
    assert count_classes(deployment) == before


@pytest.mark.parametrize("reminders", BAD_REMINDERS)
def test_bad_reminders_are_refused_by_the_client_and_by_the_worker_and_write_nothing(
    client: BookingClient, deployment: Deployment, reminders: Any
) -> None:
    test_a_bad_waitlist_setting_is_refused_by_the_client_and_by_the_worker_and_writes_nothing(
        client, deployment, "reminders", reminders
    )


def full_class_with_a_line(client: BookingClient, **settings: Any) -> tuple[str, str, str]:
    """A one-seat class with a waitlist: (class, the seat booking holding it, one waiting)."""
    class_id = client.create_booking(class_body(max_seats=1, waitlist_size=5, **settings))["data"][
        "id"
    ]
    holder = client.create_booking(seat_body(class_id, 1, "Holder"))["data"]["id"]
    waiting = client.create_booking(seat_body(class_id, 1, "Waiting", waitlist=True))["data"]["id"]
    return class_id, holder, waiting


def test_accepting_an_offer_never_made_is_a_conflict_and_changes_nothing(
    client: BookingClient,
) -> None:
    class_id, holder, waiting = full_class_with_a_line(client, waitlist_promotion="offer")

    for booking_id in (waiting, holder):
        with pytest.raises(ConflictError, match="accept_offer") as refused:
            client.accept_offer(booking_id)
        assert refused.value.status == 409
    with pytest.raises(ConflictError):
        client.decline_offer(waiting)

    assert client.get_booking(waiting)["data"]["state"] == "waitlisted"
    assert client.get_booking(holder)["data"]["state"] == "confirmed"
    seats = client.get_booking(class_id, include=["attributes"])["data"]["attributes"]
    assert (seats["group_booking"]["current_seats"], seats["group_booking"]["waitlist_seats"]) == (
        1,
        1,
    )


def test_accepting_an_offer_past_its_deadline_is_a_conflict(client: BookingClient) -> None:
    # No beat runs beside this deployment: the offer lapses, unswept.
    class_id, holder, waiting = full_class_with_a_line(
        client, waitlist_promotion="offer", offer_time="1 second"
    )
    client.cancel_by_customer(holder)
    offered = client.get_booking(waiting, include=["attributes"])["data"]
    expires = datetime.fromisoformat(offered["attributes"]["waitlist"]["offer_expires_at"])
    eventually(lambda: datetime.now(UTC) > expires, timeout_s=5)

    with pytest.raises(ConflictError, match="offer_expired") as refused:
        client.accept_offer(waiting)

    assert refused.value.status == 409
    assert client.get_booking(waiting)["data"]["state"] in ("offered", "offer_expired")
    seats = client.get_booking(class_id, include=["attributes"])["data"]["attributes"]
    assert seats["group_booking"]["current_seats"] == 0


@pytest.mark.parametrize("where", ["same class", "unknown class", "waiting booking"])
def test_a_move_that_cannot_be_made_is_refused_through_the_client_and_changes_nothing(
    client: BookingClient, where: str
) -> None:
    source, holder, waiting = full_class_with_a_line(client)
    target = client.create_booking(class_body(max_seats=5))["data"]["id"]
    booking_id, to_class, error = {
        "same class": (holder, source, InvalidRequestError),
        "unknown class": (holder, str(uuid.uuid4()), NotFoundError),
        "waiting booking": (waiting, target, ConflictError),
    }[where]

    with pytest.raises(error) as refused:
        client.move(booking_id, to_class)

    assert refused.value.status == {"same class": 422, "unknown class": 404}.get(where, 409)
    assert client.get_booking(booking_id)["data"]["owner_booking_id"] == source
    for class_id, held in ((source, 1), (target, 0)):
        seats = client.get_booking(class_id, include=["attributes"])["data"]["attributes"]
        assert seats["group_booking"]["current_seats"] == held
    logs = client.get_booking(booking_id, include=["logs"])["data"]["logs"]
    assert "move" not in [entry["action"] for entry in logs]


def test_set_max_seats_below_one_is_invalid_from_the_client_and_from_a_foreign_producer(
    client: BookingClient, deployment: Deployment
) -> None:
    class_id = client.create_booking(class_body(max_seats=4))["data"]["id"]

    with pytest.raises(InvalidRequestError) as by_client:
        client.set_max_seats(class_id, 0)
    by_worker = send_raw(
        deployment,
        tasks.SET_MAX_SEATS,
        idempotency_key=str(uuid.uuid4()),
        booking_id=class_id,
        max_seats=0,
        message=None,
    )

    assert "max_seats" in (by_client.value.errors or {})
    assert (by_worker["status"], list(by_worker["errors"])) == (422, ["max_seats"])
    seats = client.get_booking(class_id, include=["attributes"])["data"]["attributes"]
    assert seats["group_booking"]["max_seats"] == 4
