"""Every task the worker answers, and what it runs: the table a new command is added to.

The request's model comes from the contract (`api_client.contract.tasks.TASKS`); each route
here turns the decoded request into the command (or query) that answers it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from api_client.contract import tasks

from .actions import APPLY_ACTION
from .attendance import GET_ROSTER
from .bulk import command_for, command_for_bulk
from .capacity import SET_MAX_SEATS
from .command import Command, EachAlone, Query
from .deletion import DELETE_BOOKING
from .feeds import ISSUE_FEED_TOKEN, READ_FEED, REVOKE_FEED_TOKEN
from .groups import GET_GROUP, LIST_GROUPS
from .moves import MOVE_BOOKING
from .notifications import RETRY_NOTIFICATIONS
from .owner_reads import SEARCH_BOOKINGS
from .reads import GET_BOOKING
from .series import CANCEL_SERIES, CREATE_SERIES

Route = Callable[[Any], Command[Any] | Query[Any] | EachAlone]


def always(answer: Command[Any] | Query[Any]) -> Route:
    return lambda _request: answer


ROUTES: Mapping[str, Route] = MappingProxyType(
    {
        tasks.CREATE_BOOKING: command_for,  # a class, seats in one, or seats in a series
        tasks.APPLY_ACTION: always(APPLY_ACTION),
        tasks.CREATE_RECURRING: always(CREATE_SERIES),
        tasks.CANCEL_SERIES: always(CANCEL_SERIES),
        tasks.BULK_CREATE: command_for_bulk,  # all or nothing, or each item alone
        tasks.MOVE_BOOKING: always(MOVE_BOOKING),
        tasks.SET_MAX_SEATS: always(SET_MAX_SEATS),
        tasks.DELETE_BOOKING: always(DELETE_BOOKING),
        tasks.RETRY_NOTIFICATIONS: always(RETRY_NOTIFICATIONS),
        tasks.GET_BOOKING: always(GET_BOOKING),
        tasks.LIST_GROUPS: always(LIST_GROUPS),
        tasks.GET_GROUP: always(GET_GROUP),
        tasks.SEARCH_BOOKINGS: always(SEARCH_BOOKINGS),
        tasks.GET_ROSTER: always(GET_ROSTER),
        tasks.ISSUE_FEED_TOKEN: always(ISSUE_FEED_TOKEN),
        tasks.REVOKE_FEED_TOKEN: always(REVOKE_FEED_TOKEN),
        tasks.READ_FEED: always(READ_FEED),
    }
)
