"""The one runner of every command: decode, lock, apply once, answer, then dispatch."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError

from api_client.contract.tasks import KEY_FIELD, TASKS, TaskContract
from api_client.contract.validation import field_errors

from .. import metrics
from ..domain.errors import DomainError, InvalidCommandError
from ..outbox import CommandTx, StagedDelivery
from ..refusals import refusal_result
from .command import Command, EachAlone, Query, Result
from .deps import HandlerDeps
from .idempotency import Outcome, apply_once
from .table import ROUTES


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
        contract = TASKS[task_name]
        try:
            request = decode(contract, kwargs)
            key = _key(contract, kwargs)
            route = ROUTES[task_name](request)
        except DomainError as refusal:
            return _refused(_short(task_name), refusal)
        if isinstance(route, Query):
            try:
                result = self.read(route, request, now)
            except DomainError as refusal:
                return _refused(_short(task_name), refusal)
            metrics.command_answered(_short(task_name), "read")
            return result
        if isinstance(route, EachAlone):
            metrics.commands_in_task(len(route.commands))
            return {"data": [self.run(c, f"{key}:{i}", r, now) for i, c, r in route.commands]}
        metrics.commands_in_task(1)
        return self.run(route, key, request, now)

    def run(self, command: Command[Any], key: str | None, request: Any, now: datetime) -> Result:
        """One command's result, or its refusal as a result (transient refusals raise)."""
        try:
            staged: list[StagedDelivery] = []
            with self.deps.locks.holding_all(command.locks(request, self.deps.read_only)):
                result, outcome = self._apply(command, key, request, now, staged)
            if outcome == "applied":
                self.deps.dispatch(staged)  # after the locks: others may book meanwhile
        except DomainError as refusal:
            return _refused(command.name, refusal)
        metrics.command_answered(command.name, _label(outcome, result))
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
            tx = CommandTx(
                connection,
                seats=self.deps.seats,
                channels=self.deps.channels,
                check_in_opens_s=self.deps.check_in_opens_s,
                hold_local_s=self.deps.hold_local_s,
            )
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


def _refused(command: str, refusal: DomainError) -> Result:
    """A refusal answered as a result and counted; a transient one (the class stayed locked)
    is counted as busy and raised, for the task to retry."""
    if refusal.transient:
        metrics.command_answered(command, "busy")
        raise refusal
    result = refusal_result(refusal)
    metrics.command_answered(command, f"refused_{result['status']}")
    return result


def _label(outcome: Outcome, result: Result) -> str:
    """applied, replayed or refused_<status>; a refusal that found a twin delivery's answer
    already recorded answers that, and counts as replayed."""
    if outcome != "refused":
        return outcome
    return f"refused_{result['status']}" if "status" in result else "replayed"


def _short(task_name: str) -> str:
    """bookings.get_booking -> get_booking: how a task that is not (yet) a command is counted."""
    return task_name.rpartition(".")[2]


def decode(contract: TaskContract[Any], kwargs: dict[str, Any]) -> Any:
    """The task's request as the contract's model, or InvalidCommandError naming each field."""
    try:
        return contract.adapter.validate_python(contract.payload(kwargs))
    except ValidationError as error:
        raise InvalidCommandError(field_errors(error)) from None


def _key(contract: TaskContract[Any], kwargs: dict[str, Any]) -> str | None:
    if not contract.keyed:
        return None
    key = kwargs.get(KEY_FIELD)
    if not isinstance(key, str) or not key:
        raise InvalidCommandError({KEY_FIELD: ["a command needs its idempotency key"]})
    return key
