"""Seat bookings applied together: one lock set and one transaction per batch, a savepoint each.

Under load the worker's main process hands a pool process the create_booking messages that
queued while the pool was busy, as one batch (worker/batching.py). Each call is decoded and
routed as it would be alone. The seat bookings among them are applied in one transaction that
holds the locks of all their classes (taken in sorted order), class by class in that same
order (so rows are locked in the order locks are, and two batches cannot deadlock even with
the Redis lock gone) and, within a class, in arrival order. Each has a savepoint of its own
and is recorded under its own key: a refusal or a replay rolls back that booking alone, and
every call gets its own answer. Anything else (a class, seats in a series) runs alone.

How a batch writes (BOOKINGS_BOOKING_BATCH_WRITES): "deferred" (the default) keeps the rows no
booking of the batch reads back (seat bookings, logs, outbox rows, command keys) for one insert
per table before the commit, and undoes a refused booking by forgetting its rows, which is
right only when it changed no row: so a booking refused after changing one (its class's lapsed
offer expired first, say), or an insert that conflicts (a key recorded before: a replay, a
twin delivery), rolls that transaction back, and the batch runs again "per-booking", which is
how it runs when so set: a savepoint and the inserts of each booking in turn. The first way also
reads a class row once for all the batch's bookings of that class (ClassRowsKept): per
booking it costs one statement (its seats taken), the second eight.

A batch whose transaction is lost (connection, deadlock) answers none of its bookings: they
are postponed, for the task to send again. A class that stayed locked postpones only the
bookings of that class: the others are applied class by class.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import TYPE_CHECKING, Any
from uuid import UUID

from .. import metrics
from ..domain.errors import ClassBusyError, DomainError, KeyReusedError
from ..outbox import CommandTx, StagedDelivery
from ..refusals import refusal_result
from ..storage.batch_writes import ChangedRows, ClassRowsKept, DeferredRows
from ..storage.queries import command_key_row
from .answering import decode_and_route, outcome_label, refused, short_name
from .command import Command, Result
from .deps import HandlerDeps
from .idempotency import Outcome, apply_once_within, connection_lost, request_hash

if TYPE_CHECKING:
    from .runner import CommandRunner

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Call:
    """One message of a batch: its task id, its keyword arguments and its delivery so far."""

    id: str
    kwargs: dict[str, Any]
    retries: int = 0
    redelivered: bool = False


@dataclass(frozen=True)
class Answered:
    result: Result


@dataclass(frozen=True)
class Postponed:
    """Nothing of the call committed, and it may pass if sent again: its class stayed locked,
    or the database connection was lost."""

    reason: Exception


@dataclass(frozen=True)
class Failed:
    """The call raised what no rule expects (a bug): its task fails, as it would alone."""

    error: Exception


Answer = Answered | Postponed | Failed


@dataclass(frozen=True)
class _Booking:
    call: Call
    command: Command[Any]
    request: Any
    key: str
    classes: tuple[UUID, ...]


def handle_together(
    runner: CommandRunner, task_name: str, calls: Sequence[Call], now: datetime
) -> dict[str, Answer]:
    """Each call's answer, by call id."""
    answers: dict[str, Answer] = {}
    bookings: list[_Booking] = []
    for call in calls:
        try:
            request, key, route = decode_and_route(task_name, call.kwargs)
        except DomainError as refusal:
            answers[call.id] = Answered(refused(short_name(task_name), refusal))
            continue
        if isinstance(route, Command) and route.applied_together and key is not None:
            classes = tuple(sorted(set(route.locks(request, runner.deps.read_only)), key=str))
            bookings.append(_Booking(call, route, request, key, classes))
        else:
            answers[call.id] = _alone(runner, task_name, call, now)
    if bookings:  # a call run alone counted itself in `handle`
        metrics.commands_in_task(len(bookings))
    answers.update(_apply_bookings(runner, bookings, now))
    return answers


def _alone(runner: CommandRunner, task_name: str, call: Call, now: datetime) -> Answer:
    try:
        return Answered(runner.handle(task_name, call.kwargs, now))
    except ClassBusyError as busy:
        return Postponed(busy)
    except Exception as error:
        return Postponed(error) if connection_lost(error) else Failed(error)


def _apply_bookings(
    runner: CommandRunner, bookings: list[_Booking], now: datetime
) -> dict[str, Answer]:
    if not bookings:
        return {}
    try:
        return _in_one_transaction(runner, bookings, now)
    except ClassBusyError:
        pass  # one of the classes stayed locked: the others go ahead, class by class
    except Exception as error:
        return _postponed(bookings, error)
    answers: dict[str, Answer] = {}
    for _classes, group in groupby(_in_lock_order(bookings), key=lambda b: b.classes):
        of_class = list(group)
        try:
            answers.update(_in_one_transaction(runner, of_class, now))
        except Exception as error:
            answers.update(_postponed(of_class, error))
    return answers


def _postponed(bookings: list[_Booking], error: Exception) -> dict[str, Answer]:
    """Every booking postponed, when a class stayed locked or the connection was lost; any
    other error raised again."""
    if not (isinstance(error, ClassBusyError) or connection_lost(error)):
        raise error
    return {booking.call.id: Postponed(error) for booking in bookings}


def _in_one_transaction(
    runner: CommandRunner, bookings: list[_Booking], now: datetime
) -> dict[str, Answer]:
    """Every booking applied once under its key, in one transaction holding all their locks;
    their notifications dispatched after the locks are released.

    Deferred writes first: one insert per table for the whole batch. If a booking must be
    undone after it changed rows, or the inserts conflict (a key recorded before: a replay,
    a twin), that transaction is rolled back and the batch is applied again, under the same
    locks, with a savepoint per booking, which answers each case as a booking alone would.
    """
    deps = runner.deps
    classes = [c for booking in bookings for c in booking.classes]
    with deps.locks.holding_all(classes):
        applied = None
        if deps.batch_writes == "deferred":
            applied = _with_deferred_writes(deps, bookings, now)
        if applied is None:
            applied = _with_savepoints(deps, bookings, now)
    answers, labels, staged = applied
    if staged:
        deps.dispatch(staged)  # after the locks: others may book meanwhile
    for name, label in labels:
        metrics.command_answered(name, label)
    return answers


_Applied = tuple[dict[str, Answer], list[tuple[str, str]], list[StagedDelivery]]


class _NeedsSavepoints(Exception):
    """The batch cannot be applied with deferred writes: it goes again with savepoints."""


def _with_deferred_writes(
    deps: HandlerDeps, bookings: list[_Booking], now: datetime
) -> _Applied | None:
    """The batch applied with its rows inserted together, or None when it needs savepoints."""
    answers: dict[str, Answer] = {}
    labels: list[tuple[str, str]] = []
    deferred = DeferredRows()
    try:
        with deps.unit_of_work() as uow, ChangedRows(uow.connection) as changed:
            tx = deps.command_tx(uow.connection, deferred)
            kept = ClassRowsKept(tx.seats, changed)
            kept.keep_together(uow.connection, _classes_of(bookings))
            tx.seats = kept
            for booking in _in_lock_order(bookings):
                result, outcome = _apply_deferred(tx, booking, now, changed)
                answers[booking.call.id] = Answered(result)
                labels.append((booking.command.name, outcome_label(outcome, result)))
            deferred.insert(uow.connection)
            uow.commit()
    except _NeedsSavepoints:
        return None
    except DomainError:
        raise  # transient (a class busy): as with savepoints
    except Exception as error:
        if connection_lost(error):
            raise
        return None  # a key recorded before, or an error a savepoint confines to its booking
    return answers, labels, tx.staged


def _apply_deferred(
    tx: CommandTx, booking: _Booking, now: datetime, changed: ChangedRows
) -> tuple[Result, Outcome]:
    """One booking's result, its rows and its key deferred; a refusal that changed no row is
    undone by forgetting what it deferred and staged."""
    command, request, deferred = booking.command, booking.request, tx.deferred
    assert deferred is not None
    mark, staged_before, changed_before = deferred.mark(), len(tx.staged), changed.count
    outcome: Outcome = "applied"
    try:
        result = command.apply(tx, request, now)
    except DomainError as refusal:
        if refusal.transient:
            raise
        if changed.count != changed_before:
            raise _NeedsSavepoints() from refusal
        deferred.forget_since(mark)
        del tx.staged[staged_before:]
        result, outcome = refusal_result(refusal), "refused"
    fingerprint = request_hash(command.name, command.fingerprint(request))
    deferred.keys.append(
        command_key_row(
            key=booking.key, command=command.name, request_hash=fingerprint, result=result, now=now
        )
    )
    return result, outcome


def _with_savepoints(deps: HandlerDeps, bookings: list[_Booking], now: datetime) -> _Applied:
    answers: dict[str, Answer] = {}
    labels: list[tuple[str, str]] = []
    with deps.unit_of_work() as uow:
        tx = deps.command_tx(uow.connection)
        for booking in _in_lock_order(bookings):
            name = booking.command.name
            try:
                result, outcome = _apply_one(tx, booking, now)
            except KeyReusedError as reused:
                answers[booking.call.id] = Answered(refused(name, reused))
                continue
            except ClassBusyError:
                raise
            except Exception as error:
                if connection_lost(error):
                    raise
                log.exception("%s %s failed", name, booking.call.id)
                answers[booking.call.id] = Failed(error)
                continue
            answers[booking.call.id] = Answered(result)
            labels.append((name, outcome_label(outcome, result)))
        uow.commit()
    return answers, labels, tx.staged


def _apply_one(tx: CommandTx, booking: _Booking, now: datetime) -> tuple[Result, Outcome]:
    command, request = booking.command, booking.request
    staged_before = len(tx.staged)

    def undo() -> None:
        del tx.staged[staged_before:]

    return apply_once_within(
        tx.connection,
        key=booking.key,
        command=command.name,
        request=command.fingerprint(request),
        now=now,
        apply=lambda: command.apply(tx, request, now),
        undo=undo,
    )


def _classes_of(bookings: Iterable[_Booking]) -> list[UUID]:
    """Every class of the batch, once each, in the order their locks are taken."""
    return sorted({c for booking in bookings for c in booking.classes}, key=str)


def _in_lock_order(bookings: Iterable[_Booking]) -> list[_Booking]:
    """By class as the locks are taken (sorted); within a class, in arrival order."""
    return sorted(bookings, key=lambda booking: [str(c) for c in booking.classes])
