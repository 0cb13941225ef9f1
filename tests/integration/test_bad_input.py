"""Bad input gets a clear error in Timekit's shape and writes nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from celery import Celery

from api_client import BookingClient, ConflictError, InvalidRequestError, NotFoundError
from api_client.contract import tasks
from harness.bodies import class_body, seat_body
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
