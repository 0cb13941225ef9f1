"""Seat allocation inside a command's transaction: the database guard, the row, logs, notices."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..domain.errors import ChangedConcurrentlyError, NotFoundError
from ..domain.graphs import CUSTOMER_GRAPH, GROUP_OWNER
from ..domain.notifications import notices_for
from ..domain.seats import ClassSnapshot, check_can_book
from ..outbox import CommandTx, customer_of, owner_of, stage
from ..storage import queries


def class_for_booking(tx: CommandTx, class_id: uuid.UUID) -> Mapping[Any, Any]:
    """The class, its row locked: this command is ordered after any other on its seats."""
    klass = tx.seats.read_class(tx.connection, class_id)
    if klass is None or klass["graph"] != GROUP_OWNER:
        raise NotFoundError(f"no class with id {class_id}")
    return klass


def snapshot_of(klass: Mapping[Any, Any]) -> ClassSnapshot:
    return ClassSnapshot(
        state=klass["state"],
        start=klass["starts_at"],
        max_seats=klass["max_seats"],
        current_seats=klass["current_seats"],
        min_booking_s=klass["min_booking_s"],
        max_booking_s=klass["max_booking_s"],
        offered_seats=klass["offered_seats"],
        waitlist_seats=klass["waitlist_seats"],
        waitlist_size=klass["waitlist_size"],
        waitlist_promotion=klass["waitlist_promotion"],
        offer_s=klass["offer_s"],
    )


def allocate(
    tx: CommandTx,
    klass: Mapping[str, Any],
    seats: int,
    booker: Mapping[str, Any],
    now: datetime,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Take `seats` (already judged bookable) and write the seat booking; (booking, class after).

    `booker` holds the booking's own columns from its body (its customer, resource, meta).

    The guarded statement re-checks the seats against the row as it is, so an expired lock
    cannot oversell.
    """
    conn, class_id = tx.connection, klass["id"]
    if not tx.seats.take(conn, klass, seats, now):
        _explain_refused_take(tx, class_id, seats, now)
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "graph": CUSTOMER_GRAPH.name,
        "state": CUSTOMER_GRAPH.initial_state,
        "created_at": now,
        "updated_at": now,
        "owner_booking_id": class_id,
        "seats": seats,
        **booker,
        # The class's policy as it is now: a later change of its settings leaves this seat's.
        "late_cancel": klass.get("late_cancel"),
    }
    tx.insert_seat_booking(
        values, queries.log_entry(values["id"], "create", None, values["state"], None, now)
    )
    klass_after = {**klass, "current_seats": klass["current_seats"] + seats}
    notices = notices_for(
        "create", owner=owner_of(klass), customer=customer_of(values), message=None
    )
    stage(tx, [(values, notices)], klass=klass_after, now=now)
    return values, klass_after


def _explain_refused_take(tx: CommandTx, class_id: uuid.UUID, seats: int, now: datetime) -> None:
    """The guarded update took nothing: say why, from the row as it is now."""
    klass = queries.read_booking(tx.connection, class_id)
    assert klass is not None
    check_can_book(snapshot_of(klass), seats, now)
    raise ChangedConcurrentlyError("the class changed while seats were being booked; try again")
