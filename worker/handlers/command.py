"""What a command is to the runner: apply it inside a transaction, plus what it locks."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from sqlalchemy import Connection

from ..customer_links import CustomerLinks
from ..outbox import CommandTx
from ..storage.unit_of_work import UnitOfWork

Request = TypeVar("Request")
Result = dict[str, Any]
ReadOnly = Callable[[], UnitOfWork]


def _locks_nothing(_request: Any, _read_only: ReadOnly) -> Collection[UUID]:
    return ()


def fingerprint_of(request: Any) -> dict[str, Any]:
    """What is recorded of a request with its key: the fields that differ from their defaults,
    so that a field added to the contract later (with a default) leaves the fingerprint of a
    request sent before it as it was, and a replay across an upgrade is still recognised."""
    dumped: dict[str, Any] = request.model_dump(mode="json", exclude_defaults=True)
    return dumped


@dataclass(frozen=True)
class Command(Generic[Request]):
    """A change applied at most once per idempotency key, in one transaction.

    `apply` decides and writes inside the transaction and returns the result (or raises a
    DomainError to refuse); `locks` names the classes whose locks are held around it (it may
    read, in a read-only transaction of its own); `name` and `fingerprint` are recorded with
    the key, so that a replay of another request under the same key is refused. A command
    that may be `applied_together` shares one lock set and one transaction with the others of
    a batch of its task (a savepoint each; worker/handlers/together.py).
    """

    name: str
    apply: Callable[[CommandTx, Request, datetime], Result]
    locks: Callable[[Request, ReadOnly], Collection[UUID]] = _locks_nothing
    fingerprint: Callable[[Request], dict[str, Any]] = fingerprint_of
    applied_together: bool = False


@dataclass(frozen=True)
class Query(Generic[Request]):
    """A read, answered from one read-only transaction; a query that shows signed links
    (include=customer_action_links) reads with `read_linked`, given the process's signer
    (None when links are not configured); one that judges by the time (cancel_policy) reads
    with `read_at`, given the signer and `now`."""

    read: Callable[[Connection, Request], Result]
    read_linked: Callable[[Connection, Request, CustomerLinks | None], Result] | None = None
    read_at: Callable[[Connection, Request, CustomerLinks | None, datetime], Result] | None = None


@dataclass(frozen=True)
class EachAlone:
    """Several commands, each run on its own under the key `<key>:<suffix>`, answered as a
    list in the order given: (suffix, command, request) each."""

    commands: list[tuple[int, Command[Any], Any]] = field(default_factory=list)
