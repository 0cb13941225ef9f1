"""The worker's tasks as wire contract: each name, the request model it carries, and how.

The client validates with this table before sending, and the worker decodes with it on
arrival: one table, so the two cannot disagree about what a task takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter

from .feeds import FeedQuery, FeedTokenIssue, FeedTokenRevoke
from .recurrence import GroupOwnerSeries
from .requests import (
    ActionRequest,
    BookingBody,
    BookingQuery,
    BookingSearch,
    BulkCreate,
    DeleteRequest,
    GroupQuery,
    GroupsQuery,
    MoveRequest,
    NotificationsRetry,
    RosterQuery,
    SeriesCancel,
    SetMaxSeatsRequest,
)

CREATE_BOOKING = "bookings.create_booking"
APPLY_ACTION = "bookings.apply_action"
GET_BOOKING = "bookings.get_booking"
LIST_GROUPS = "bookings.list_groups"
PING = "bookings.ping"
RETRY_NOTIFICATIONS = "bookings.retry_notifications"
CREATE_RECURRING = "bookings.create_recurring"
CANCEL_SERIES = "bookings.cancel_series"
BULK_CREATE = "bookings.bulk_create"
MOVE_BOOKING = "bookings.move_booking"
SET_MAX_SEATS = "bookings.set_max_seats"
GET_GROUP = "bookings.get_group"
SEARCH_BOOKINGS = "bookings.search_bookings"
DELETE_BOOKING = "bookings.delete_booking"
GET_ROSTER = "bookings.get_roster"
ISSUE_FEED_TOKEN = "bookings.issue_feed_token"
REVOKE_FEED_TOKEN = "bookings.revoke_feed_token"
READ_FEED = "bookings.read_feed"

QUEUE = "bookings"
# The keyword a command's idempotency key travels under, beside its request.
KEY_FIELD = "idempotency_key"
# The keyword a request travels under when it is a body rather than keyword fields.
BODY_FIELD = "body"

Request = TypeVar("Request")


@dataclass(frozen=True)
class TaskContract(Generic[Request]):
    """One task: its name, its request's model, whether it carries an idempotency key, and
    whether the request travels as `body=` (a Timekit body) or as keyword fields."""

    name: str
    adapter: TypeAdapter[Request]
    keyed: bool
    as_body: bool = False

    def kwargs(self, request: Request) -> dict[str, Any]:
        """The task's keyword arguments for a validated request (without its key)."""
        data = self.adapter.dump_python(request, mode="json")
        return {BODY_FIELD: data} if self.as_body else dict(data)

    def payload(self, kwargs: dict[str, Any]) -> Any:
        """The request's raw data among the task's keyword arguments."""
        if self.as_body:
            return kwargs.get(BODY_FIELD)
        return {name: value for name, value in kwargs.items() if name != KEY_FIELD}


BOOKING_BODY: TypeAdapter[Any] = TypeAdapter(BookingBody)

TASKS: dict[str, TaskContract[Any]] = {
    contract.name: contract
    for contract in (
        TaskContract(CREATE_BOOKING, BOOKING_BODY, keyed=True, as_body=True),
        TaskContract(APPLY_ACTION, TypeAdapter(ActionRequest), keyed=True),
        TaskContract(CREATE_RECURRING, TypeAdapter(GroupOwnerSeries), keyed=True, as_body=True),
        TaskContract(CANCEL_SERIES, TypeAdapter(SeriesCancel), keyed=True),
        TaskContract(BULK_CREATE, TypeAdapter(BulkCreate), keyed=True),
        TaskContract(MOVE_BOOKING, TypeAdapter(MoveRequest), keyed=True),
        TaskContract(SET_MAX_SEATS, TypeAdapter(SetMaxSeatsRequest), keyed=True),
        TaskContract(DELETE_BOOKING, TypeAdapter(DeleteRequest), keyed=True),
        TaskContract(ISSUE_FEED_TOKEN, TypeAdapter(FeedTokenIssue), keyed=True),
        TaskContract(REVOKE_FEED_TOKEN, TypeAdapter(FeedTokenRevoke), keyed=True),
        TaskContract(RETRY_NOTIFICATIONS, TypeAdapter(NotificationsRetry), keyed=False),
        TaskContract(GET_BOOKING, TypeAdapter(BookingQuery), keyed=False),
        TaskContract(LIST_GROUPS, TypeAdapter(GroupsQuery), keyed=False),
        TaskContract(GET_GROUP, TypeAdapter(GroupQuery), keyed=False),
        TaskContract(SEARCH_BOOKINGS, TypeAdapter(BookingSearch), keyed=False),
        TaskContract(GET_ROSTER, TypeAdapter(RosterQuery), keyed=False),
        TaskContract(READ_FEED, TypeAdapter(FeedQuery), keyed=False),
    )
}
