"""Timekit's `search` query parameter: `key:value;key:value`, checked against the keys a list
accepts, and carried parsed (a dict) so the worker filters on exactly what the client checked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
