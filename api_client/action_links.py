"""Signed action links: what a customer may do from an e-mail, as Timekit's external_action URLs.

`GET /v2/bookings/{id}/external_action/{action}?signature=<token>`: the token is a JWT (HS256,
PyJWT) over the booking's id, the action and an expiry, signed with BOOKINGS_ACTION_LINK_SECRET.
The worker signs (e-mails, `include=customer_action_links`), the gateway verifies; both import
this module, which imports nothing of either. PyJWT comes with the worker and gateway extras,
so a client-only install never imports this module.

The token carries no issue time, so the same booking, action and expiry always give the same
link: the e-mail and the include show one link, not two that both work.
"""

from __future__ import annotations

import time
from datetime import datetime
from urllib.parse import quote
from uuid import UUID

import jwt

# What a customer may do from a link; any other action is never signed.
LINK_ACTIONS = ("cancel_by_customer", "accept_offer", "decline_offer")
# Keeps a token signed here from being taken for another JWT signed with the same secret.
AUDIENCE = "group-bookings:external_action"
ALGORITHM = "HS256"
# HS256 keys shorter than its hash are guessable offline from one link (and PyJWT warns).
MIN_SECRET_LENGTH = 32


class ActionLinkError(Exception):
    """The signature is not one we made for this booking and action, or it has expired."""


def sign(secret: str, booking_id: UUID | str, action: str, expires_at: datetime) -> str:
    """The token for `action` on the booking, valid until `expires_at` (an aware datetime)."""
    if action not in LINK_ACTIONS:
        raise ValueError(f"{action!r} is not an action a link may carry")
    claims = {
        "aud": AUDIENCE,
        "sub": str(booking_id),
        "act": action,
        "exp": int(expires_at.timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify(
    secret: str, token: str, booking_id: UUID | str, action: str, now_s: float | None = None
) -> None:
    """Returns if `token` was signed for this booking and action and has not expired at
    `now_s` (default: now); else ActionLinkError, whose message says nothing of which."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            # Expiry is checked below against `now_s`, so that tests pass the time in.
            options={"require": ["aud", "sub", "act", "exp"], "verify_exp": False},
        )
    except jwt.InvalidTokenError:
        raise ActionLinkError("this link is not valid") from None
    if claims["sub"] != str(booking_id) or claims["act"] != action:
        raise ActionLinkError("this link is not valid")
    expires_s = claims["exp"]
    if not isinstance(expires_s, int) or (time.time() if now_s is None else now_s) >= expires_s:
        raise ActionLinkError("this link has expired")


def link_path(booking_id: UUID | str, action: str) -> str:
    return f"/v2/bookings/{booking_id}/external_action/{action}"


def action_link(
    public_url: str, secret: str, booking_id: UUID | str, action: str, expires_at: datetime
) -> str:
    """The full URL a customer opens: the gateway's public base, the path and the signature."""
    token = sign(secret, booking_id, action, expires_at)
    return f"{public_url.rstrip('/')}{link_path(booking_id, action)}?signature={quote(token)}"
