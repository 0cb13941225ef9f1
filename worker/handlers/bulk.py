"""Bulk commands (Timekit's POST /bookings/bulk): many bodies, all or nothing or each alone."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from api_client.contract.requests import BookingBody, BulkCreate, GroupCustomerBooking

from ..domain.errors import DomainError, InvalidCommandError, ItemRefusedError
from ..outbox import CommandTx
from .bookings import BOOK_SEATS, CREATE_CLASS
from .command import Command, EachAlone, ReadOnly, Result, fingerprint_of
from .series_seats import BOOK_TERM


def command_for(body: BookingBody) -> Command[Any]:
    """What a booking body asks for: a class, seats in one, or seats in a whole series."""
    if not isinstance(body, GroupCustomerBooking):
        return CREATE_CLASS
    return BOOK_TERM if body.related.series_id is not None else BOOK_SEATS


def command_for_bulk(bulk: BulkCreate) -> Command[BulkCreate] | EachAlone:
    """All or nothing: one transaction under one key. Otherwise each item is a command of its
    own under the key `<key>:<index>`, each item carrying its index in the caller's list."""
    if bulk.all_or_nothing:
        return BULK_ALL
    return EachAlone([(item.index, command_for(item.body), item.body) for item in bulk.items])


def _all(tx: CommandTx, bulk: BulkCreate, now: datetime) -> Result:
    """Every item in one transaction; the first refusal names its item and undoes the rest."""
    outcomes: list[dict[str, Any]] = []
    for index, item in enumerate(bulk.items):
        try:
            outcomes.append(_one(tx, item.body, now))
        except DomainError as refusal:
            raise ItemRefusedError(index, refusal) from None
    return {"data": outcomes}


def _one(tx: CommandTx, body: BookingBody, now: datetime) -> Result:
    command = command_for(body)
    if command is BOOK_TERM:
        raise InvalidCommandError(
            message="a term booking (related.series_id) cannot be part of a bulk"
        )
    return command.apply(tx, body, now)


def _classes_to_lock(bulk: BulkCreate, _read_only: ReadOnly) -> list[UUID]:
    return [
        item.body.related.owner_booking_id
        for item in bulk.items
        if isinstance(item.body, GroupCustomerBooking)
        and item.body.related.owner_booking_id is not None
    ]


def _items_as_json(bulk: BulkCreate) -> dict[str, Any]:
    return {"items": [fingerprint_of(item.body) for item in bulk.items]}


BULK_ALL = Command("bulk_create", apply=_all, locks=_classes_to_lock, fingerprint=_items_as_json)
