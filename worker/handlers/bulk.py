"""Bulk commands (Timekit's POST /bookings/bulk): many bodies, all or nothing or each alone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from api_client.contract.requests import BulkCreate, GroupCustomerBooking, GroupOwnerBooking
from api_client.errors import BookingError

from ..domain.errors import DomainError
from ..outbox import CommandTx, StagedDelivery
from ..refusals import refusal_for, result_or_refusal
from .bookings import book_seats, create_booking, create_class
from .deps import HandlerDeps
from .idempotency import Result, apply_once

Item = GroupOwnerBooking | GroupCustomerBooking


def bulk_create(key: str, bulk: BulkCreate, *, deps: HandlerDeps, now: datetime) -> Result:
    """Each item carries its index in the caller's list. All or nothing: one transaction, one
    key. Otherwise each item is a command of its own under the key `<key>:<index>`, and the
    answer lists each outcome in the order given."""
    items = [(item.index, item.body) for item in bulk.items]
    if not bulk.all_or_nothing:
        return {"data": [_alone(f"{key}:{index}", item, deps, now) for index, item in items]}
    bodies = [item for _index, item in items]
    classes = [b.related.owner_booking_id for b in bodies if isinstance(b, GroupCustomerBooking)]
    staged: list[StagedDelivery] = []
    with deps.locks.holding_all(class_id for class_id in classes if class_id is not None):
        result = apply_once(
            deps.unit_of_work,
            key=key,
            command="bulk_create",
            request={"items": [body.model_dump(mode="json") for body in bodies]},
            now=now,
            apply=lambda tx: _all(tx, bodies, deps, now),
            on_commit=staged.extend,
        )
    deps.dispatch(staged)
    return result


def _all(tx: CommandTx, items: Sequence[Item], deps: HandlerDeps, now: datetime) -> Result:
    """Every item in one transaction; the first refusal names its item and undoes the rest."""
    outcomes: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        try:
            outcomes.append(_one(tx, item, deps, now))
        except DomainError as refusal:
            raise _of_item(index, refusal_for(refusal)) from None
        except BookingError as refusal:
            raise _of_item(index, refusal) from None
    return {"data": outcomes}


def _one(tx: CommandTx, item: Item, deps: HandlerDeps, now: datetime) -> dict[str, Any]:
    if isinstance(item, GroupOwnerBooking):
        return create_class(tx.connection, item, now)
    if item.related.series_id is not None:
        raise BookingError(
            "a term booking (related.series_id) cannot be part of a bulk", status=422
        )
    return book_seats(tx, item, deps, now)


def _of_item(index: int, refusal: BookingError) -> BookingError:
    message = f"item {index} was refused, so nothing was applied: {refusal.message}"
    errors = None
    if refusal.errors is not None:
        errors = {f"items.{index}.{field}": messages for field, messages in refusal.errors.items()}
    return type(refusal)(message, errors=errors, status=refusal.status)


def _alone(key: str, item: Item, deps: HandlerDeps, now: datetime) -> dict[str, Any]:
    return result_or_refusal(lambda: create_booking(key, item, deps=deps, now=now))
