"""The log channel: every notification as one log line of JSON, so a demo needs no server."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from . import Delivery, DeliveryFailure, notification_document

log = logging.getLogger("bookings.notifications")


def log_line(delivery: Delivery) -> str:
    """One JSON object on one line: ASCII-only, so that no name or message (a line break,
    U+2028, a terminal escape) can split the line or forge another."""
    document = notification_document(delivery)
    booking: dict[str, Any] = document.pop("booking") or {}
    summary = {**document, "booking": {"id": booking.get("id"), "state": booking.get("state")}}
    return json.dumps(summary, ensure_ascii=True, separators=(",", ":"))


class LogChannel:
    def send(self, deliveries: Sequence[Delivery]) -> dict[UUID, DeliveryFailure]:
        for delivery in deliveries:
            log.warning("%s", log_line(delivery))
        return {}
