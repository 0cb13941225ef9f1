"""A delivery whose outbox row was deleted with its booking meanwhile ends quietly."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select

from api_client.contract import tasks
from harness.bodies import class_body, in_days, seat_body
from tests.support.handlers import act, command, create
from worker.channels import DeliveryFailure
from worker.delivery import DeliveryReport, RetryPolicy, deliver
from worker.handlers import HandlerDeps
from worker.storage.tables import outbox

pytestmark = pytest.mark.integration

POLICY = RetryPolicy(attempts=3, base_s=1.0, cap_s=10.0, lease_s=60.0)


class DeletingChannel:
    """A channel that, while sending, sees the booking deleted under it."""

    def __init__(self, deps: HandlerDeps, booking_id: str) -> None:
        self.deps, self.booking_id = deps, booking_id

    def send(self, rows: Sequence[Mapping[Any, Any]]) -> dict[UUID, DeliveryFailure]:
        assert rows, "the rows were claimed before the deletion"
        deleted = command(self.deps, tasks.DELETE_BOOKING, booking_id=self.booking_id)
        assert deleted["data"]["deleted"] is True
        return {}


def pending_deliveries(deps: HandlerDeps, booking_id: str) -> list[UUID]:
    with deps.read_only() as uow:
        query = select(outbox.c.id).where(
            outbox.c.booking_id == UUID(booking_id), outbox.c.state == "pending"
        )
        return list(uow.connection.execute(query).scalars())


def send(deps: HandlerDeps, ids: list[UUID], channel: Any) -> DeliveryReport:
    return deliver(
        ids,
        unit_of_work=deps.unit_of_work,
        channels={"log": channel},
        policy=POLICY,
        now=lambda: datetime.now(UTC),
    )


def test_a_delivery_of_a_booking_deleted_before_it_ran_sends_nothing(
    handler_deps: HandlerDeps,
) -> None:
    klass = create(handler_deps, class_body(in_days(46)))["data"]
    seat = create(handler_deps, seat_body(klass["id"]))["data"]
    act(handler_deps, seat["id"], "cancel_by_customer")
    ids = pending_deliveries(handler_deps, seat["id"])
    assert ids, "the seat's notices wait in the outbox (handler deps dispatch nothing)"
    command(handler_deps, tasks.DELETE_BOOKING, booking_id=seat["id"])

    report = send(handler_deps, ids, channel=None)

    assert (report.delivered, report.retrying, report.failed) == (0, [], 0)


def test_a_delivery_whose_booking_is_deleted_while_it_sends_records_nothing_and_ends(
    handler_deps: HandlerDeps,
) -> None:
    klass = create(handler_deps, class_body(in_days(47)))["data"]
    seat = create(handler_deps, seat_body(klass["id"]))["data"]
    act(handler_deps, seat["id"], "cancel_by_customer")
    ids = pending_deliveries(handler_deps, seat["id"])

    report = send(handler_deps, ids, DeletingChannel(handler_deps, seat["id"]))

    assert report.delivered == len(ids)  # sent; recording it touched no row
    assert pending_deliveries(handler_deps, seat["id"]) == []
