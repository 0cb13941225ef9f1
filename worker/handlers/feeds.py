"""Calendar feeds: issuing and revoking tokens (commands), and reading a feed (a query)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from api_client.contract.feeds import FeedQuery, FeedTokenIssue, FeedTokenRevoke

from ..domain.errors import NotFoundError
from ..feeds import DAYS_BACK, calendar_feed, customer_feed, entity_tag
from ..outbox import CommandTx
from ..presenter import rfc3339
from ..storage import feed_queries
from .command import Command, Query, Result

# The same answer for a token that never was, was revoked, or opens another feed.
NO_FEED = "no feed for this token"
# A customer feed's rows are read even for a wrong token, with an address no seat has, so that
# a wrong token costs what a right one does.
NOBODY = ""


def issue_feed_token(tx: CommandTx, request: FeedTokenIssue, now: datetime) -> Result:
    """A token row for the digest the client sent; the token itself is the client's to show."""
    values = {
        "id": uuid.uuid4(),
        "token_digest": request.token_digest,
        "calendar_id": request.calendar_id,
        "customer_email": request.customer_email,
        "created_at": now,
        "revoked_at": None,
    }
    feed_queries.insert_token(tx.connection, values)
    return {"data": token_data(values)}


def revoke_feed_token(tx: CommandTx, request: FeedTokenRevoke, now: datetime) -> Result:
    row = feed_queries.revoke_token(tx.connection, request.token_id, now)
    if row is None:
        raise NotFoundError(f"no feed token with id {request.token_id}")
    return {"data": token_data(row)}


def read_feed(conn: Connection, query: FeedQuery) -> Result:
    """The feed the token opens, as iCalendar text with its ETag; NotFoundError otherwise.

    The token is looked up by its digest (a unique index: the time taken says nothing about how
    near a wrong token came), and the feed is read and rendered before the token's verdict is
    used, so that a wrong or revoked token takes the same path as a right one."""
    since = datetime.now(UTC) - timedelta(days=DAYS_BACK)
    token = feed_queries.find_token(conn, query.token_digest)
    live = token if token is not None and token["revoked_at"] is None else None
    if query.calendar_id is not None:
        opens = live is not None and live["calendar_id"] == query.calendar_id
        rows = feed_queries.read_calendar_classes(conn, query.calendar_id, since)
        body = calendar_feed(query.calendar_id, rows)
    else:
        email = live["customer_email"] if live is not None else None
        opens = email is not None
        rows = feed_queries.read_confirmed_seats(conn, email or NOBODY, since)
        body = customer_feed(rows)
    if not opens:
        raise NotFoundError(NO_FEED)
    return {"data": {"ics": body.decode("utf-8"), "etag": entity_tag(body)}}


def token_data(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A token as the owner sees it: never its digest."""
    revoked_at = row["revoked_at"]
    return {
        "id": str(row["id"]),
        "calendar_id": row["calendar_id"],
        "customer_email": row["customer_email"],
        "created_at": rfc3339(row["created_at"]),
        "revoked_at": None if revoked_at is None else rfc3339(revoked_at),
    }


ISSUE_FEED_TOKEN = Command("issue_feed_token", apply=issue_feed_token)
REVOKE_FEED_TOKEN = Command("revoke_feed_token", apply=revoke_feed_token)
READ_FEED = Query(read_feed)
