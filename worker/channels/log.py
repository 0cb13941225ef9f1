"""The log channel: every notification as one log line, so a demo needs no server."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from uuid import UUID

from . import Delivery, notification_document

log = logging.getLogger("bookings.notifications")


class LogChannel:
    def send(self, deliveries: Sequence[Delivery]) -> dict[UUID, str]:
        for delivery in deliveries:
            document = notification_document(delivery)
            log.warning(
                "notification %s %s to %s %s <%s>: %s | booking %s",
                document["id"],
                document["type"],
                document["recipient"]["role"],
                document["recipient"]["name"],
                document["recipient"]["email"],
                document["message"] or "(no message)",
                json.dumps(document["booking"].get("id")),
            )
        return {}
