"""Delivery channels: each sends a batch of outbox rows and says which failed and why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from ..config import Settings

Delivery = Mapping[Any, Any]  # an outbox row
# Channels that send nothing over a network: the process that staged a delivery on one sends
# it itself, right after the commit (worker/local_delivery.py), sparing a task per command.
LOCAL_CHANNELS = frozenset({"log"})


@dataclass(frozen=True)
class DeliveryFailure:
    """Why one delivery failed, and whether it is `permanent`: a message that cannot be
    composed, an address or a request the receiver refuses for good fails at once; the rest
    (timeouts, 5xx, connection errors) are tried again later. Each channel decides which is
    which in one place."""

    reason: str
    permanent: bool = False

    @classmethod
    def transient(cls, reason: str) -> DeliveryFailure:
        return cls(reason, permanent=False)

    @classmethod
    def for_good(cls, reason: str) -> DeliveryFailure:
        return cls(reason, permanent=True)

    @property
    def recorded(self) -> str:
        """What the outbox row keeps as its last_error (include=notifications shows it)."""
        return f"permanent: {self.reason}" if self.permanent else self.reason


class Channel(Protocol):
    def send(self, deliveries: Sequence[Delivery]) -> dict[UUID, DeliveryFailure]:
        """Send each delivery; how those that failed failed, keyed by delivery id."""
        ...


def build_channels(settings: Settings) -> dict[str, Channel]:
    """The channels the settings name, each configured (not contacted: it may come up later)."""
    from ..customer_links import customer_links
    from .email import EmailChannel
    from .log import LogChannel
    from .webhook import WebhookChannel

    built: dict[str, Channel] = {}
    for name in settings.channels:
        if name == "log":
            built[name] = LogChannel()
        elif name == "webhook":
            assert settings.webhook_url is not None and settings.webhook_secret is not None
            built[name] = WebhookChannel(
                str(settings.webhook_url),
                settings.webhook_secret.get_secret_value(),
                timeout_s=settings.webhook_timeout_s,
                webhook_format=settings.webhook_format,
            )
        elif name == "email":
            assert settings.smtp_url is not None
            built[name] = EmailChannel(
                str(settings.smtp_url),
                settings.smtp_from,
                timeout_s=settings.smtp_timeout_s,
                links=customer_links(settings),
            )
    return built


def notification_document(delivery: Delivery) -> dict[str, Any]:
    """What a receiver gets: the notification's stable id, type, recipient, message, booking."""
    return {
        "id": str(delivery["notification_id"]),
        "type": delivery["type"],
        "recipient": {
            "role": delivery["recipient_role"],
            "name": delivery["recipient_name"],
            "email": delivery["recipient_email"],
        },
        "message": delivery["message"],
        "booking": delivery["payload"],
        "created_at": delivery["created_at"].isoformat(),
    }
