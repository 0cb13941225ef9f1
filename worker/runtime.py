"""Per-process resources (engine, Redis, locks), created on first use after the fork."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property

from redis import Redis
from sqlalchemy import Engine

from .channels import Channel, build_channels
from .config import Settings, get_settings
from .delivery import RetryPolicy
from .locks import ClassLocks
from .storage.engine import engine_for
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
        return Redis.from_url(self.settings.redis_url_str)

    @cached_property
    def locks(self) -> ClassLocks:
        return ClassLocks(
            self.redis,
            ttl_s=self.settings.lock_ttl_s,
            wait_s=self.settings.lock_wait_s,
            poll_s=self.settings.lock_poll_s,
            enabled=self.settings.allocation_lock_enabled,
            drill_pause_s=self.settings.drill_pause_holding_lock_s,
            outage_wait_s=self.settings.redis_outage_wait_s,
        )

    @cached_property
    def channels(self) -> dict[str, Channel]:
        return build_channels(self.settings)

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
        return UnitOfWork(
            self.engine,
            pause_before_commit_s=self.settings.drill_pause_before_commit_s,
            pause_after_commit_s=self.settings.drill_pause_after_commit_s,
        )

    def read_only(self) -> UnitOfWork:
        return UnitOfWork(self.engine, read_only=True)


_current: Runtime | None = None


def current_runtime() -> Runtime:
    """This process's runtime; a forked child builds its own instead of sharing its parent's."""
    global _current
    if _current is None or _current.pid != os.getpid():
        _current = Runtime(get_settings(), os.getpid())
    return _current
