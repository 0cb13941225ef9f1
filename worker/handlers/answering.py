"""How a task's call becomes a request, a key and a route, and how refusals are answered:
shared by the runner (one call) and by seat bookings applied together (a batch)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from api_client.contract.tasks import KEY_FIELD, TASKS, TaskContract
from api_client.contract.validation import field_errors

from .. import metrics
from ..domain.errors import DomainError, InvalidCommandError
from ..refusals import refusal_result
from .command import Command, EachAlone, Query, Result
from .idempotency import Outcome
from .table import ROUTES


def decode_and_route(
    task_name: str, kwargs: dict[str, Any]
) -> tuple[Any, str | None, Command[Any] | Query[Any] | EachAlone]:
    """The call's request, its idempotency key (None for a query or an unkeyed command) and
    what answers it; InvalidCommandError (or the route's refusal) if it cannot be answered."""
    contract = TASKS[task_name]
    request = decode(contract, kwargs)
    key = _key(contract, kwargs)
    return request, key, ROUTES[task_name](request)


def refused(command: str, refusal: DomainError) -> Result:
    """A refusal answered as a result and counted; a transient one (the class stayed locked)
    is counted as busy and raised, for the task to retry."""
    if refusal.transient:
        metrics.command_answered(command, "busy")
        raise refusal
    result = refusal_result(refusal)
    metrics.command_answered(command, f"refused_{result['status']}")
    return result


def outcome_label(outcome: Outcome, result: Result) -> str:
    """applied, replayed or refused_<status>; a refusal that found a twin delivery's answer
    already recorded answers that, and counts as replayed."""
    if outcome != "refused":
        return outcome
    return f"refused_{result['status']}" if "status" in result else "replayed"


def short_name(task_name: str) -> str:
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
