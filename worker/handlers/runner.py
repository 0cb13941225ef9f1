"""The one runner of every command: decode, lock, apply once, answer, then dispatch."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from .. import metrics
from ..domain.errors import DomainError
from ..outbox import StagedDelivery
from .answering import decode_and_route, outcome_label, refused, short_name
from .command import Command, EachAlone, Query, Result
from .deps import HandlerDeps
from .idempotency import Outcome, apply_once
from .together import Answer, Call, handle_together


class CommandRunner:
    """Runs what a task asks for with this process's deps.

    For a command: take the locks it declares (sorted), apply it once under its idempotency key
    in one transaction, answer its result or its refusal, and only after the locks are released
    hand its staged notifications to `dispatch`. Transient refusals (ClassBusyError) are raised
    for the task to retry later; every other refusal is answered as a result. Each answer is
    counted by command and outcome (worker/metrics.py; nothing is recorded while it is off).
    """

    def __init__(self, deps: HandlerDeps) -> None:
        self.deps = deps

    def handle(self, task_name: str, kwargs: dict[str, Any], now: datetime) -> Result:
        """The answer to task `task_name` called with `kwargs`, as its Celery task returns it."""
        try:
            request, key, route = decode_and_route(task_name, kwargs)
        except DomainError as refusal:
            return refused(short_name(task_name), refusal)
        if isinstance(route, Query):
            try:
                result = self.read(route, request, now)
            except DomainError as refusal:
                return refused(short_name(task_name), refusal)
            metrics.command_answered(short_name(task_name), "read")
            return result
        if isinstance(route, EachAlone):
            metrics.commands_in_task(len(route.commands))
            return {"data": [self.run(c, f"{key}:{i}", r, now) for i, c, r in route.commands]}
        metrics.commands_in_task(1)
        return self.run(route, key, request, now)

    def handle_together(
        self, task_name: str, calls: Sequence[Call], now: datetime
    ) -> dict[str, Answer]:
        """Each call's answer, by call id, for a batch of `task_name`'s calls: seat bookings
        applied together, each still once under its own key (worker/handlers/together.py)."""
        return handle_together(self, task_name, calls, now)

    def run(self, command: Command[Any], key: str | None, request: Any, now: datetime) -> Result:
        """One command's result, or its refusal as a result (transient refusals raise)."""
        try:
            staged: list[StagedDelivery] = []
            with self.deps.locks.holding_all(command.locks(request, self.deps.read_only)):
                result, outcome = self._apply(command, key, request, now, staged)
            if outcome == "applied":
                self.deps.dispatch(staged)  # after the locks: others may book meanwhile
        except DomainError as refusal:
            return refused(command.name, refusal)
        metrics.command_answered(command.name, outcome_label(outcome, result))
        return result

    def read(self, query: Query[Any], request: Any, now: datetime | None = None) -> Result:
        with self.deps.read_only() as uow:
            if query.read_at is not None and now is not None:
                return query.read_at(uow.connection, request, self.deps.action_links, now)
            if query.read_linked is not None:
                return query.read_linked(uow.connection, request, self.deps.action_links)
            return query.read(uow.connection, request)

    def _apply(
        self,
        command: Command[Any],
        key: str | None,
        request: Any,
        now: datetime,
        staged: list[StagedDelivery],
    ) -> tuple[Result, Outcome]:
        def in_transaction(connection: Any) -> Result:
            tx = self.deps.command_tx(connection)
            result = command.apply(tx, request, now)
            staged[:] = tx.staged
            return result

        if key is None:  # a command without a key (retrying notifications): at least once
            with self.deps.unit_of_work() as uow:
                result = in_transaction(uow.connection)
                uow.commit()
            return result, "applied"
        return apply_once(
            self.deps.unit_of_work,
            key=key,
            command=command.name,
            request=command.fingerprint(request),
            now=now,
            apply=in_transaction,
        )
