"""Series: a season of classes created in one command, and cancelled from a date on."""

from __future__ import annotations

import uuid
from datetime import datetime

from api_client.contract.recurrence import GroupOwnerSeries
from api_client.contract.requests import ActionRequest, SeriesCancel

from ..domain.errors import NotFoundError
from ..domain.recurrence import Occurrence, expand_rule, explicit_starts
from ..outbox import CommandTx
from ..presenter import booking_data
from ..storage import queries, reminder_queries
from .actions import transition
from .bookings import DETAIL, class_values
from .command import Command, Result


def occurrences_of(body: GroupOwnerSeries) -> list[Occurrence]:
    """The series' classes. With a rule, the event is the first class; with explicit starts,
    the event gives only the length and the starts give every class."""
    recurrence, event = body.recurrence, body.event
    length = event.end - event.start
    if recurrence.rrule is not None:
        return expand_rule(
            recurrence.rrule,
            first_start=event.start,
            length=length,
            timezone=recurrence.timezone,
            exdates=recurrence.exdates,
        )
    assert recurrence.starts is not None
    return explicit_starts(
        recurrence.starts, length=length, timezone=recurrence.timezone, exdates=recurrence.exdates
    )


def create_series(tx: CommandTx, body: GroupOwnerSeries, now: datetime) -> Result:
    occurrences = occurrences_of(body)  # a rule that cannot be expanded refuses here
    series_id = uuid.uuid4()
    recurrence = body.recurrence.model_dump(mode="json")
    queries.insert_series(
        tx.connection,
        {
            "id": series_id,
            "rrule": recurrence["rrule"],
            "timezone": recurrence["timezone"],
            "exdates": recurrence["exdates"],
            "starts": recurrence["starts"],
            "created_at": now,
        },
    )
    rows = [
        class_values(
            body,
            start=o.start,
            end=o.end,
            now=now,
            series_id=series_id,
            series_zone=recurrence["timezone"],
        )
        for o in occurrences
    ]
    # All classes in one statement, all logs in another: all or nothing, and fast.
    queries.insert_bookings(tx.connection, rows)
    reminder_queries.schedule(tx.connection, rows)
    queries.append_logs(
        tx.connection,
        [queries.log_entry(row["id"], "create", None, row["state"], None, now) for row in rows],
    )
    bookings = [booking_data(row, include=DETAIL) for row in rows]
    return {"data": {"series_id": str(series_id), "bookings": bookings}}


def cancel_series(tx: CommandTx, request: SeriesCancel, now: datetime) -> Result:
    if not queries.series_exists(tx.connection, request.series_id):
        raise NotFoundError(f"no series with id {request.series_id}")
    class_ids = queries.open_classes_of_series(tx.connection, request.series_id, request.from_)
    for class_id in class_ids:
        cancel = ActionRequest(booking_id=class_id, action="cancel", message=request.message)
        transition(tx, cancel, now)
    return {
        "data": {
            "series_id": str(request.series_id),
            "cancelled": [str(class_id) for class_id in class_ids],
        }
    }


CREATE_SERIES = Command("create_series", apply=create_series)
CANCEL_SERIES = Command("cancel_series", apply=cancel_series)
