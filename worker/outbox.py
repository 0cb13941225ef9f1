"""Staging notifications in the transaction of the change they announce (the outbox)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Connection

from .channels import LOCAL_CHANNELS
from .domain.attendance import DEFAULT_CHECK_IN_OPENS_S
from .domain.notifications import CUSTOMER, OWNER, Notice, Recipient
from .presenter import booking_data
from .storage import queries
from .storage.batch_writes import DeferredRows
from .storage.outbox_queries import insert_deliveries
from .storage.seat_guard import SeatGuard


class StagedDelivery(NamedTuple):
    id: uuid.UUID
    channel: str
    # The row as staged, when it was staged held by this process (CommandTx.hold_local_s):
    # what its local channel sends after the commit, with no read and no claim.
    held: Mapping[str, Any] | None = None


@dataclass
class CommandTx:
    """A command's transaction: its connection, how it takes seats, the channels it notifies
    on, and the deliveries it staged for after its commit."""

    connection: Connection
    seats: SeatGuard = field(default_factory=SeatGuard)
    channels: Sequence[str] = ("log",)
    staged: list[StagedDelivery] = field(default_factory=list)
    # How long before its class's start a seat may check in (BOOKINGS_CHECK_IN_OPENS).
    check_in_opens_s: int = DEFAULT_CHECK_IN_OPENS_S
    # Set: deliveries on local channels are staged held by this process for this long (their
    # lease, counted as their first attempt), to be sent by it right after the commit
    # (worker/local_delivery.py). None: staged due, for a claim to take.
    hold_local_s: float | None = None
    # Set (seat bookings applied together): new seat bookings, their logs and outbox rows are
    # kept here, to be inserted with the batch's others before its commit.
    deferred: DeferredRows | None = None

    def insert_seat_booking(self, values: dict[str, Any], log: dict[str, Any]) -> None:
        """A new seat booking and its log entry: no command of this transaction reads them."""
        if self.deferred is None:
            queries.insert_booking(self.connection, values)
            queries.append_logs(self.connection, [log])
        else:
            self.deferred.bookings.append(values)
            self.deferred.logs.append(log)

    def insert_deliveries(self, rows: Sequence[dict[str, Any]]) -> None:
        if self.deferred is None:
            insert_deliveries(self.connection, rows)
        else:
            self.deferred.deliveries.extend(rows)


def stage(
    tx: CommandTx,
    announcements: Sequence[tuple[Mapping[Any, Any], Sequence[Notice]]],
    *,
    klass: Mapping[Any, Any],
    now: datetime,
) -> None:
    """Outbox rows for (seat booking, its notices) pairs of one class, in one statement.

    One row per notice and channel; e-mail only for recipients with an address. The payload
    is the booking as get_booking shows it with its attributes.
    """
    rows = []
    for booking, notices in announcements:
        payload = booking_data(booking, klass=klass, include=("attributes",)) if notices else {}
        for notice in notices:
            notification_id = uuid.uuid4()
            rows += [
                _row(notification_id, channel, booking["id"], notice, payload, now)
                for channel in tx.channels
                if channel != "email" or notice.recipient.email
            ]
    held_until = _held_until(tx)
    if held_until is not None:
        for row in rows:
            if row["channel"] in LOCAL_CHANNELS:
                row.update(lease_until=held_until, attempts=1)
    tx.insert_deliveries(rows)
    tx.staged.extend(
        StagedDelivery(row["id"], row["channel"], row if row["lease_until"] else None)
        for row in rows
    )


def _held_until(tx: CommandTx) -> datetime | None:
    # From the clock, not the command's `now`: the hold keeps the sweep off for a real time
    # after this commit, however long ago the command (a completion batch, say) started.
    if tx.hold_local_s is None:
        return None
    return datetime.now(UTC) + timedelta(seconds=tx.hold_local_s)


def _row(
    notification_id: uuid.UUID,
    channel: str,
    booking_id: uuid.UUID,
    notice: Notice,
    payload: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "notification_id": notification_id,
        "channel": channel,
        "booking_id": booking_id,
        "type": notice.type,
        "recipient_role": notice.recipient.role,
        "recipient_name": notice.recipient.name,
        "recipient_email": notice.recipient.email,
        "message": notice.message,
        "payload": payload,
        "state": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "lease_until": None,
        "created_at": now,
    }


def owner_of(klass: Mapping[Any, Any]) -> Recipient:
    return Recipient(OWNER, klass["owner_name"], klass["owner_email"])


def customer_of(seat_booking: Mapping[Any, Any]) -> Recipient:
    return Recipient(CUSTOMER, seat_booking["customer_name"], seat_booking["customer_email"])
