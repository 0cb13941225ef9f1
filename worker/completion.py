"""The scheduled job that completes classes (and their seat bookings) once they are over."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from .domain.notifications import notices_for
from .domain.transitions import completion_cutoff
from .outbox import CommandTx, StagedDelivery, customer_of, owner_of, stage
from .storage.completion_queries import (
    complete_bookings,
    lock_classes_to_complete,
    mark_no_shows,
)
from .storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class CompletionReport:
    classes: int
    seat_bookings: int


def complete_past_classes(
    unit_of_work: Callable[[], UnitOfWork],
    *,
    now: datetime,
    grace_s: int,
    batch: int,
    channels: Sequence[str] = ("log",),
    dispatch: Callable[[Sequence[StagedDelivery]], None] = lambda _staged: None,
) -> CompletionReport:
    """Complete every open, auto-completing class that ended more than `grace_s` ago.

    One transaction per batch of classes; safe to run twice at once (see the queries). Where
    a class tracks attendance, who never checked in becomes a no-show and is told (outbox
    rows on `channels`, handed to `dispatch` after the commit).
    """
    cutoff = completion_cutoff(now, grace_s)
    classes = seat_bookings = 0
    while True:
        with unit_of_work() as uow:
            tx = CommandTx(uow.connection, channels=channels)
            class_ids = lock_classes_to_complete(uow.connection, cutoff, batch)
            if class_ids:
                seat_bookings += _no_shows(tx, class_ids, now)
                done_classes, done_seats = complete_bookings(uow.connection, class_ids, now=now)
                classes += done_classes
                seat_bookings += done_seats
            uow.commit()
        dispatch(tx.staged)
        if len(class_ids) < batch:
            return CompletionReport(classes, seat_bookings)


def _no_shows(tx: CommandTx, class_ids: Sequence[UUID], now: datetime) -> int:
    """Mark the no-shows of the classes that track attendance and stage their notices, one
    outbox statement per class."""
    tracking, no_shows = mark_no_shows(tx.connection, class_ids, now=now)
    by_class: dict[UUID, list[Mapping[Any, Any]]] = {}
    for seat in no_shows:
        by_class.setdefault(seat["owner_booking_id"], []).append(seat)
    for klass in tracking:
        owner = owner_of(klass)
        announcements = [
            (
                seat,
                notices_for("mark_no_show", owner=owner, customer=customer_of(seat), message=None),
            )
            for seat in by_class.get(klass["id"], [])
        ]
        if announcements:
            stage(tx, announcements, klass=klass, now=now)
    return len(no_shows)
