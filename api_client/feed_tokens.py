"""Calendar feed tokens on the caller's side: drawn at random, known to the worker by digest."""

from __future__ import annotations

import hashlib
import secrets
from urllib.parse import quote

# 32 random bytes: guessing one is out of reach, and the URL stays short enough for any app.
TOKEN_BYTES = 32


def new_token() -> str:
    """A fresh token, URL-safe."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """What the worker stores and looks tokens up by: sha256, in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def feed_path(token: str, calendar_id: str | None = None) -> str:
    """The gateway path of a calendar's feed, or of a customer's with no calendar."""
    if calendar_id is None:
        return f"/v2/customers/feed.ics?token={token}"
    return f"/v2/calendars/{quote(calendar_id, safe='')}/feed.ics?token={token}"
