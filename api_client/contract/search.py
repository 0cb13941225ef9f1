"""Timekit's `search` query parameter: `key:value;key:value`, checked against the keys a list
accepts, and carried parsed (a dict) so the worker filters on exactly what the client checked."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

# GET /bookings/groups: the keys booking.js and the SDK send.
GROUP_SEARCH_KEYS = frozenset({"project.id", "resource.id", "calendar_id"})
# GET /bookings (the owner's list): those, and meta.<key> for any key of a booking's meta.
BOOKING_SEARCH_KEYS = GROUP_SEARCH_KEYS | {"graph", "state", "customer.email"}
META_PREFIX = "meta."
MAX_TERMS = 20
MAX_VALUE_LENGTH = 1_000


def is_group_key(key: str) -> bool:
    return key in GROUP_SEARCH_KEYS


def is_booking_key(key: str) -> bool:
    return key in BOOKING_SEARCH_KEYS or (
        key.startswith(META_PREFIX) and len(key) > len(META_PREFIX)
    )


def parsed_search(value: Any, accepts: Callable[[str], bool]) -> dict[str, str]:
    """{key: value} from `key:value;key:value` (or an already parsed dict); ValueError names
    what is wrong. A value may hold ':' (split at the first); a key given twice is refused."""
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        pairs = [(str(key), item) for key, item in value.items()]
    elif isinstance(value, str):
        pairs = []
        for term in (part for part in value.split(";") if part.strip()):
            key, colon, item = term.partition(":")
            if not colon:
                raise ValueError(f"{term!r} is not key:value")
            pairs.append((key.strip(), item.strip()))
    else:
        raise ValueError("must be key:value;key:value")
    if len(pairs) > MAX_TERMS:
        raise ValueError(f"at most {MAX_TERMS} terms")
    terms: dict[str, str] = {}
    for key, item in pairs:
        if not accepts(key):
            raise ValueError(f"unknown search key {key!r}")
        if key in terms:
            raise ValueError(f"{key!r} given twice")
        if not isinstance(item, str) or not item or len(item) > MAX_VALUE_LENGTH:
            raise ValueError(f"{key!r} needs a value of 1 to {MAX_VALUE_LENGTH} characters")
        terms[key] = item
    return terms


def page_cursor(created_at: datetime, booking_id: UUID) -> str:
    """The opaque cursor of a row in the owner's list: where the page beside it starts."""
    text = f"{created_at.isoformat()}|{booking_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def read_cursor(cursor: str) -> tuple[datetime, UUID]:
    """(created_at, id) of a cursor; ValueError if it is not one page_cursor wrote."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, _, booking_id = text.partition("|")
        created_at = datetime.fromisoformat(moment)
        parsed = UUID(booking_id)
    except (ValueError, UnicodeDecodeError):
        raise ValueError("not a page cursor of this list") from None
    if created_at.tzinfo is None:
        raise ValueError("not a page cursor of this list")
    return created_at, parsed


def page_url(search: dict[str, str], limit: int, page: int, **cursor: str) -> str:
    """Timekit's next_page_url / prev_page_url, relative to the gateway: the same search and
    limit, the page's number and the cursor that seeks to it."""
    query: dict[str, Any] = {"limit": limit, "page": page, **cursor}
    if search:
        query = {"search": ";".join(f"{key}:{value}" for key, value in search.items()), **query}
    return "/v2/bookings?" + urlencode(query)
