"""What every command handler is given besides its command and `now`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..locks import ClassLocks
from ..outbox import StagedDelivery
from ..storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class HandlerDeps:
    unit_of_work: Callable[[], UnitOfWork]
    read_only: Callable[[], UnitOfWork]
    locks: ClassLocks
    # Off only in fault drills, to show what the lock alone would (not) protect.
    seat_guard_enabled: bool = True
    # Notification channels each notice is staged for, and who sends staged deliveries.
    channels: tuple[str, ...] = ("log",)
    dispatch: Callable[[Sequence[StagedDelivery]], None] = lambda _staged: None
