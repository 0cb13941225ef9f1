"""Per-process resources (engine, Redis, locks), created on first use after the fork."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

from redis import Redis
from sqlalchemy import Engine

from api_client.redis_urls import redis_client

from . import drills
from .channels import Channel, build_channels
from .config import Settings, get_settings
from .customer_links import customer_links
from .delivery import RetryPolicy
from .handlers import HandlerDeps
from .local_delivery import LocalDelivery
from .locks import ClassLocks
from .outbox import StagedDelivery
from .storage.engine import engine_for
from .storage.seat_guard import SeatGuard
from .storage.unit_of_work import UnitOfWork


@dataclass
class Runtime:
    settings: Settings
    pid: int

    @property
    def engine(self) -> Engine:
        return engine_for(self.settings)

    @cached_property
    def redis(self) -> Redis:
        """The locks' Redis: through Sentinel (redis-py's `master_for`) each new connection
        asks where the master is, so the locks follow a failover."""
        return redis_client(self.settings.redis_url, self.settings.redis_master_name)

    @cached_property
    def locks(self) -> ClassLocks | drills.NoLocks:
        return drills.class_locks(self.redis, self.settings)

    @cached_property
    def seats(self) -> SeatGuard:
        return drills.seat_guard(self.settings)

    @cached_property
    def channels(self) -> dict[str, Channel]:
        return build_channels(self.settings)

    @cached_property
    def local_delivery(self) -> LocalDelivery:
        return LocalDelivery(
            self.channels,
            self.unit_of_work,
            mark_every_s=self.settings.log_mark_every_s,
            now=lambda: datetime.now(UTC),
        )

    @property
    def retry_policy(self) -> RetryPolicy:
        settings = self.settings
        return RetryPolicy(
            attempts=settings.delivery_attempts,
            base_s=settings.delivery_retry_base_s,
            cap_s=settings.delivery_retry_cap_s,
            lease_s=settings.delivery_lease_s,
        )

    def unit_of_work(self) -> UnitOfWork:
        return drills.unit_of_work(self.engine, self.settings)

    def read_only(self) -> UnitOfWork:
        return UnitOfWork(self.engine, read_only=True)

    def handler_deps(self, dispatch: Callable[[Sequence[StagedDelivery]], None]) -> HandlerDeps:
        """What commands run with in this process; `dispatch` sends what they staged."""
        return HandlerDeps(
            unit_of_work=self.unit_of_work,
            read_only=self.read_only,
            locks=self.locks,
            seats=self.seats,
            channels=self.settings.channels,
            dispatch=dispatch,
            action_links=customer_links(self.settings),
            check_in_opens_s=self.settings.check_in_opens_s,
            batch_writes=self.settings.booking_batch_writes,
            hold_local_s=self.settings.log_hold_s if self.batches_log_marks else None,
        )

    @property
    def batches_log_marks(self) -> bool:
        return self.settings.log_delivery == "batched"


_current: Runtime | None = None


def mark_local_deliveries_before_exit() -> None:
    """At a pool process's exit: mark what it sent on local channels but had not marked yet,
    so that a worker stopped (not killed) leaves nothing for the sweep to send again."""
    if _current is not None and _current.pid == os.getpid() and "local_delivery" in vars(_current):
        _current.local_delivery.mark_sent()


def current_runtime() -> Runtime:
    """This process's runtime; a forked child builds its own instead of sharing its parent's."""
    global _current
    if _current is None or _current.pid != os.getpid():
        _current = Runtime(get_settings(), os.getpid())
    return _current
