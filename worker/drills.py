"""Fault drills' switches: production's parts, wrapped to pause or to drop a guard.

Each wrapper is chosen by `worker.runtime` only when its `BOOKINGS_DRILL_*` setting is on, so
the production types carry no drill branch. The drills and the contention tests use them to
kill a worker at an exact moment, or to show what one guard alone does (not) protect.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

from redis import Redis
from sqlalchemy import Connection, Engine, RowMapping, update

from .config import Settings
from .domain.waitlist import SeatCounts
from .keys import STALE_LOCK_CLASS_KEY, STALE_LOCK_DRILL_KEY
from .locks import ClassLocks
from .storage import queries
from .storage.seat_guard import SeatGuard
from .storage.tables import bookings
from .storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


class PausingUnitOfWork(UnitOfWork):
    """Holds the transaction open just before or just after its commit, so that a drill can
    kill the worker at exactly that point."""

    def __init__(self, engine: Engine, *, before_commit_s: float, after_commit_s: float) -> None:
        super().__init__(engine)
        self._before_commit_s = before_commit_s
        self._after_commit_s = after_commit_s

    def commit(self) -> None:
        time.sleep(self._before_commit_s)
        super().commit()
        time.sleep(self._after_commit_s)


class NoLocks:
    """No class lock at all: the database guard alone stands against overselling."""

    @contextmanager
    def holding_all(self, class_ids: Iterable[UUID]) -> Iterator[None]:
        yield


class PausingLocks(ClassLocks):
    """The first allocation on the class named by STALE_LOCK_CLASS_KEY after the drill arms it
    pauses holding that class's lock, so that the drill can SIGSTOP it until the lock expires;
    deleting STALE_LOCK_DRILL_KEY re-arms it."""

    def __init__(self, redis: Redis, *, pause_s: float, **lock_settings: float) -> None:
        super().__init__(redis, **lock_settings)
        self._pause_s = pause_s

    def _taken(self, class_id: UUID) -> None:
        if self._is_drill_class(class_id) and self._redis.set(
            STALE_LOCK_DRILL_KEY, f"{os.getpid()} {class_id}", nx=True
        ):
            log.warning(
                "drill: pausing %.1f s holding the lock of class %s", self._pause_s, class_id
            )
            time.sleep(self._pause_s)

    def _is_drill_class(self, class_id: UUID) -> bool:
        named = self._redis.get(STALE_LOCK_CLASS_KEY)
        return named is not None and str(class_id) == (
            named.decode() if isinstance(named, bytes) else str(named)
        )


class UnguardedSeats(SeatGuard):
    """Seats written as naive code would: read without a row lock, then overwrite the count
    computed from that read. Never refuses; overselling is what the control tests show."""

    def read_class(self, conn: Connection, class_id: UUID) -> RowMapping | None:
        return queries.read_booking(conn, class_id)

    def read_classes(self, conn: Connection, class_ids: Sequence[UUID]) -> dict[UUID, Any]:
        return {c: row for c in class_ids if (row := self.read_class(conn, c)) is not None}

    def take(self, conn: Connection, klass: Mapping[Any, Any], seats: int, now: datetime) -> bool:
        conn.execute(
            update(bookings)
            .where(bookings.c.id == klass["id"])
            .values(current_seats=klass["current_seats"] + seats, updated_at=now)
        )
        return True

    def join_line(
        self, conn: Connection, klass: Mapping[Any, Any], seats: int, now: datetime
    ) -> int | None:
        number: int = klass["line_arrivals"] + 1
        conn.execute(
            update(bookings)
            .where(bookings.c.id == klass["id"])
            .values(
                waitlist_seats=klass["waitlist_seats"] + seats,
                line_arrivals=number,
                updated_at=now,
            )
        )
        return number

    def count(
        self, conn: Connection, klass: Mapping[Any, Any], change: SeatCounts, now: datetime
    ) -> None:
        conn.execute(
            update(bookings)
            .where(bookings.c.id == klass["id"])
            .values(
                current_seats=klass["current_seats"] + change.held,
                offered_seats=klass["offered_seats"] + change.offered,
                waitlist_seats=klass["waitlist_seats"] + change.waiting,
                updated_at=now,
            )
        )

    def resize(
        self, conn: Connection, klass: Mapping[Any, Any], max_seats: int, now: datetime
    ) -> bool:
        conn.execute(
            update(bookings)
            .where(bookings.c.id == klass["id"])
            .values(max_seats=max_seats, updated_at=now)
        )
        return True


def unit_of_work(engine: Engine, settings: Settings) -> UnitOfWork:
    before_s, after_s = settings.drill_pause_before_commit_s, settings.drill_pause_after_commit_s
    if before_s or after_s:
        return PausingUnitOfWork(engine, before_commit_s=before_s, after_commit_s=after_s)
    return UnitOfWork(engine)


def class_locks(redis: Redis, settings: Settings) -> ClassLocks | NoLocks:
    if settings.drill_lock_off:
        return NoLocks()
    lock_settings = {
        "ttl_s": settings.lock_ttl_s,
        "wait_s": settings.lock_wait_s,
        "poll_s": settings.lock_poll_s,
        "outage_wait_s": settings.redis_outage_wait_s,
    }
    if settings.drill_pause_holding_lock_s > 0:
        return PausingLocks(redis, pause_s=settings.drill_pause_holding_lock_s, **lock_settings)
    return ClassLocks(redis, **lock_settings)


def seat_guard(settings: Settings) -> SeatGuard:
    return UnguardedSeats() if settings.drill_seat_guard_off else SeatGuard()
