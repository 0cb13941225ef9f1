"""The webhook channel: a signed JSON POST per notification, in our format or Timekit's."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Sequence
from uuid import UUID

import httpx

from ..config import WebhookFormatName
from . import Delivery, DeliveryFailure
from .webhook_formats import FORMATS, SIGNATURE_HEADER

__all__ = ["SIGNATURE_HEADER", "WebhookChannel", "http_failure", "signature", "signed_request"]

# 4xx answers that say "not now" rather than "never": a timeout and a rate limit.
RETRIED_CLIENT_ERRORS = frozenset({408, 429})


def http_failure(status_code: int) -> DeliveryFailure:
    """A receiver's answer other than 2xx: a 4xx (but 408 and 429) refuses this request for
    good, so it is not sent again; 5xx, 408, 429 and anything else are tried again later."""
    reason = f"HTTP {status_code}"
    if 400 <= status_code < 500 and status_code not in RETRIED_CLIENT_ERRORS:
        return DeliveryFailure.for_good(reason)
    return DeliveryFailure.transient(reason)


def signature(secret: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of the raw body: receivers recompute it to trust the sender.

    Both formats sign alike; it is also how Timekit signs x-timekit-signature ("a HMAC sha256
    hash of the JSON payload (stringified) and our shared secret", digested to hex in its Node
    example: https://developers.timekit.io/docs/signed-webhooks)."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signed_request(
    delivery: Delivery, secret: str, webhook_format: WebhookFormatName = "default"
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of the POST that sends `delivery` in `webhook_format`."""
    chosen = FORMATS[webhook_format]
    body = chosen.body(delivery)
    headers = {
        "Content-Type": "application/json",
        chosen.signature_header: signature(secret, body),
    }
    return body, headers


class WebhookChannel:
    def __init__(
        self,
        url: str,
        secret: str,
        *,
        timeout_s: float,
        webhook_format: WebhookFormatName = "default",
    ) -> None:
        self._url = url
        self._secret = secret
        self._timeout_s = timeout_s
        self._format: WebhookFormatName = webhook_format
        self._client: httpx.Client | None = None
        self._client_pid = 0

    @property
    def webhook_format(self) -> WebhookFormatName:
        return self._format

    def client(self) -> httpx.Client:
        """One client per process, kept: building one loads the CA bundle (milliseconds), and
        keeping it keeps connections to the receiver alive (found by the drills' load run)."""
        if self._client is None or self._client_pid != os.getpid():
            self._client = httpx.Client(timeout=self._timeout_s)
            self._client_pid = os.getpid()
        return self._client

    def send(self, deliveries: Sequence[Delivery]) -> dict[UUID, DeliveryFailure]:
        errors: dict[UUID, DeliveryFailure] = {}
        client = self.client()
        for delivery in deliveries:
            try:
                body, headers = signed_request(delivery, self._secret, self._format)
            except ValueError as error:
                # A body that cannot be built fails alone, not the rest of the batch, and
                # would be built the same way next time.
                reason = f"cannot build the body: {type(error).__name__}: {error}"
                errors[delivery["id"]] = DeliveryFailure.for_good(reason)
                continue
            try:
                response = client.post(self._url, content=body, headers=headers)
            except httpx.HTTPError as error:
                # Timeouts and connection errors: the receiver may be back next time.
                reason = f"{type(error).__name__}: {error}"
                errors[delivery["id"]] = DeliveryFailure.transient(reason)
                continue
            if not response.is_success:
                errors[delivery["id"]] = http_failure(response.status_code)
        return errors
