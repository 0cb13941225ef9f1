"""The signed links a seat booking's customer may act from, for the include and the e-mails.

Both build them here from the same inputs (booking, state, the class's end, the offer's
deadline), so an e-mail and `include=customer_action_links` show the same URLs. Signing and
checking is api_client/action_links.py; the gateway serves the URLs (gateway/action_links.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from api_client.action_links import LINK_ACTIONS, action_link

from .config import Settings
from .domain.graphs import CUSTOMER_GRAPH, GROUP_CUSTOMER

# An offer's answer is worth something until the offer lapses; a cancel, until the class ends.
OFFER_ACTIONS = frozenset({"accept_offer", "decline_offer"})


@dataclass(frozen=True)
class CustomerLinks:
    """Signs links to the gateway at `public_url` with `secret`."""

    public_url: str
    secret: str

    def for_booking(
        self,
        booking_id: UUID | str,
        state: str,
        class_end: datetime,
        offer_expires_at: datetime | None,
    ) -> dict[str, str]:
        """action -> URL, for each link action the booking's state allows now."""
        links = {}
        for action in CUSTOMER_GRAPH.available_actions(state):
            if action not in LINK_ACTIONS:
                continue
            expires_at = offer_expires_at if action in OFFER_ACTIONS else class_end
            if expires_at is not None:
                links[action] = action_link(
                    self.public_url, self.secret, booking_id, action, expires_at
                )
        return links

    def for_row(self, booking: Mapping[Any, Any], klass: Mapping[Any, Any]) -> dict[str, str]:
        """The links of a seat booking row (none for a class)."""
        if booking["graph"] != GROUP_CUSTOMER:
            return {}
        return self.for_booking(
            booking["id"], booking["state"], klass["ends_at"], booking.get("offer_expires_at")
        )

    def for_presented(self, booking: Mapping[str, Any]) -> dict[str, str]:
        """The links of a seat booking as presented with its attributes (an outbox payload)."""
        if booking.get("graph") != GROUP_CUSTOMER:
            return {}
        attributes = booking["attributes"]
        offer = (attributes.get("waitlist") or {}).get("offer_expires_at")
        return self.for_booking(
            booking["id"],
            booking["state"],
            datetime.fromisoformat(attributes["event_info"]["end"]),
            None if offer is None else datetime.fromisoformat(offer),
        )


def customer_links(settings: Settings) -> CustomerLinks | None:
    """The signer the settings configure, or None: without both a secret and the gateway's
    public URL no link is made (the include answers none, the e-mails carry none)."""
    if settings.action_link_secret is None or settings.public_url is None:
        return None
    return CustomerLinks(str(settings.public_url), settings.action_link_secret.get_secret_value())
