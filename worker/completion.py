"""The scheduled job that completes classes (and their seat bookings) once they are over."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from .domain.transitions import completion_cutoff
from .storage.completion_queries import complete_bookings, lock_classes_to_complete
from .storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class CompletionReport:
    classes: int
    seat_bookings: int


def complete_past_classes(
    unit_of_work: Callable[[], UnitOfWork], *, now: datetime, grace_s: int, batch: int
) -> CompletionReport:
    """Complete every open, auto-completing class that ended more than `grace_s` ago.

    One transaction per batch of classes; safe to run twice at once (see the queries).
    """
    cutoff = completion_cutoff(now, grace_s)
    classes = seat_bookings = 0
    while True:
        with unit_of_work() as uow:
            class_ids = lock_classes_to_complete(uow.connection, cutoff, batch)
            if class_ids:
                done_classes, done_seats = complete_bookings(uow.connection, class_ids, now=now)
                classes += done_classes
                seat_bookings += done_seats
            uow.commit()
        if len(class_ids) < batch:
            return CompletionReport(classes, seat_bookings)
