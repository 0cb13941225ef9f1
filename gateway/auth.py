"""HTTP Basic authentication as Timekit does it: an empty user and the API key as password."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Iterable
from enum import Enum

from .settings import key_digest

CHALLENGE = 'Basic realm="bookings"'


class KeyKind(Enum):
    """What a key may do: everything (an API key) or what a public booking widget needs."""

    API = "api"
    WIDGET = "widget"


class AuthenticationError(Exception):
    """The request carries no API key, or one that is not accepted."""


def basic_api_key(header: str | None) -> str:
    """The API key in an `Authorization: Basic` header whose user is empty (`--user :KEY`)."""
    if not header:
        raise AuthenticationError("authentication required: HTTP Basic, empty user, API key")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise AuthenticationError("authentication must be HTTP Basic with the API key")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise AuthenticationError("the Basic credentials are not valid base64") from None
    user, colon, key = decoded.partition(":")
    if not colon or user or not key:
        raise AuthenticationError("the user must be empty and the API key the password")
    return key


def key_accepted(key: str, digests: Iterable[bytes]) -> bool:
    """Whether `key` is one of the accepted keys, comparing every digest in constant time."""
    offered = key_digest(key)
    accepted = False
    # No early exit: the time taken does not depend on which digest matched.
    for digest in digests:
        accepted |= hmac.compare_digest(offered, digest)
    return accepted


def authenticate(header: str | None, digests: Iterable[bytes]) -> None:
    """Raises AuthenticationError unless the header carries an accepted API key."""
    if not key_accepted(basic_api_key(header), digests):
        raise AuthenticationError("the API key is not valid")


def key_kind(
    header: str | None, api_digests: Iterable[bytes], widget_digests: Iterable[bytes]
) -> KeyKind:
    """Which kind of key the header carries; AuthenticationError if neither.

    Both lists are always compared in full, so the time taken tells nothing of the kind."""
    key = basic_api_key(header)
    is_api = key_accepted(key, api_digests)
    is_widget = key_accepted(key, widget_digests)
    if is_api:
        return KeyKind.API
    if is_widget:
        return KeyKind.WIDGET
    raise AuthenticationError("the API key is not valid")
