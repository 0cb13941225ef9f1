"""The webhook channel: a signed JSON POST per notification."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Sequence
from uuid import UUID

import httpx

from . import Delivery, notification_document

SIGNATURE_HEADER = "X-Bookings-Signature"


def signature(secret: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of the raw body: receivers recompute it to trust the sender."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookChannel:
    def __init__(self, url: str, secret: str, *, timeout_s: float) -> None:
        self._url = url
        self._secret = secret
        self._timeout_s = timeout_s
        self._client: httpx.Client | None = None
        self._client_pid = 0

    def client(self) -> httpx.Client:
        """One client per process, kept: building one loads the CA bundle (milliseconds), and
        keeping it keeps connections to the receiver alive (found by the drills' load run)."""
        if self._client is None or self._client_pid != os.getpid():
            self._client = httpx.Client(timeout=self._timeout_s)
            self._client_pid = os.getpid()
        return self._client

    def send(self, deliveries: Sequence[Delivery]) -> dict[UUID, str]:
        errors: dict[UUID, str] = {}
        client = self.client()
        for delivery in deliveries:
            body = json.dumps(notification_document(delivery), separators=(",", ":")).encode()
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: signature(self._secret, body),
            }
            try:
                response = client.post(self._url, content=body, headers=headers)
            except httpx.HTTPError as error:
                errors[delivery["id"]] = f"{type(error).__name__}: {error}"
                continue
            if not response.is_success:
                errors[delivery["id"]] = f"HTTP {response.status_code}"
        return errors
