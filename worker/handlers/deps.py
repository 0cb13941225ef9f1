"""What the runner gives every command besides its request and `now`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol
from uuid import UUID

from sqlalchemy import Connection

from ..customer_links import CustomerLinks
from ..domain.attendance import DEFAULT_CHECK_IN_OPENS_S
from ..outbox import CommandTx, StagedDelivery
from ..storage.batch_writes import DeferredRows
from ..storage.seat_guard import SeatGuard
from ..storage.unit_of_work import UnitOfWork


class Locks(Protocol):
    def holding_all(self, class_ids: Iterable[UUID]) -> AbstractContextManager[None]:
        """The locks of these classes, taken in sorted order, for the block."""
        ...


@dataclass(frozen=True)
class HandlerDeps:
    unit_of_work: Callable[[], UnitOfWork]
    read_only: Callable[[], UnitOfWork]
    locks: Locks
    # How allocations take seats: the guarded statement (drills swap it to show the lock alone).
    seats: SeatGuard = field(default_factory=SeatGuard)
    # Notification channels each notice is staged for, and who sends staged deliveries.
    channels: tuple[str, ...] = ("log",)
    dispatch: Callable[[Sequence[StagedDelivery]], None] = lambda _staged: None
    # Set when `dispatch` sends local channels' deliveries itself: they are staged held by
    # this process for this long (worker/outbox.py, worker/local_delivery.py).
    hold_local_s: float | None = None
    # Signs the links include=customer_action_links shows; None: no links are configured.
    action_links: CustomerLinks | None = None
    # How long before its class's start a seat may check in (BOOKINGS_CHECK_IN_OPENS).
    check_in_opens_s: int = DEFAULT_CHECK_IN_OPENS_S
    # How seat bookings applied together write (BOOKINGS_BOOKING_BATCH_WRITES).
    batch_writes: str = "deferred"

    def command_tx(self, connection: Connection, deferred: DeferredRows | None = None) -> CommandTx:
        """A command's transaction on `connection`, with this process's guard and channels;
        with `deferred`, its new seat bookings wait there to be inserted with others."""
        return CommandTx(
            connection,
            seats=self.seats,
            channels=self.channels,
            check_in_opens_s=self.check_in_opens_s,
            hold_local_s=self.hold_local_s,
            deferred=deferred,
        )
