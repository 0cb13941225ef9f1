"""What each webhook format sends: the bytes of a delivery's body and the header that signs them."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..config import WebhookFormatName
from . import Delivery, notification_document

SIGNATURE_HEADER = "X-Bookings-Signature"
# Timekit's name for the header, spelled as its documentation spells it (HTTP header names are
# case-insensitive, so receivers reading X-Timekit-Signature find it too).
TIMEKIT_SIGNATURE_HEADER = "x-timekit-signature"

# The notification's own fields in a Timekit-format body, next to the booking's. None of them
# is a field of a Timekit booking (id, state, graph, completed, created_at, updated_at,
# customers, event, calendar, attributes, user, project, meta, available_actions,
# customer_action_links, owner_booking), so a receiver written for Timekit's webhooks reads
# the booking as it always did.
TIMEKIT_NOTIFICATION_FIELDS = ("type", "notification_id", "recipient", "message")


@dataclass(frozen=True)
class WebhookFormat:
    """How a delivery becomes a POST body, and which header carries that body's signature."""

    signature_header: str
    body: Callable[[Delivery], bytes]


def default_body(delivery: Delivery) -> bytes:
    """Our notification document, compact JSON."""
    return json.dumps(notification_document(delivery), separators=(",", ":")).encode()


def timekit_document(delivery: Delivery) -> dict[str, Any]:
    """The booking as get_booking shows it with its attributes (as Timekit's webhooks send the
    booking as GET /bookings/:id shows it), plus which notification this is and whom it is for.

    `recipient` and `message` are kept because the type alone does not say whom a notice is for
    (booking.moved goes to owner and customer alike) and an owner's or customer's message
    appears nowhere else in the booking."""
    notification = {
        "type": delivery["type"],
        "notification_id": str(delivery["notification_id"]),
        "recipient": {
            "role": delivery["recipient_role"],
            "name": delivery["recipient_name"],
            "email": delivery["recipient_email"],
        },
        "message": delivery["message"],
    }
    booking: Mapping[str, Any] = delivery["payload"]
    clashing = set(booking) & set(notification)
    if clashing:
        raise ValueError(f"a booking field would hide the notification's: {sorted(clashing)}")
    return {**booking, **notification}


def timekit_json(document: Mapping[str, Any]) -> bytes:
    """Compact, ASCII-only JSON with "/" written as "\\/": the bytes PHP's json_encode gives.

    Timekit's PHP example of verifying a signature does not sign the raw body: it signs
    json_encode(json_decode($body)) (https://developers.timekit.io/docs/signed-webhooks), and
    Timekit's own sample payloads show that form ("timezone": "Europe\\/Copenhagen",
    https://developers.timekit.io/docs/webhooks). Sending exactly that form makes the raw body
    and its PHP re-encoding the same bytes, so a receiver following either of Timekit's
    examples (Node's on the raw body, PHP's on the re-encoded one) verifies every delivery.
    "/" occurs in JSON only inside strings, where "\\/" is a valid escape of it.
    """
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=True)
    return text.replace("/", "\\/").encode("ascii")


def timekit_body(delivery: Delivery) -> bytes:
    return timekit_json(timekit_document(delivery))


FORMATS: dict[WebhookFormatName, WebhookFormat] = {
    "default": WebhookFormat(SIGNATURE_HEADER, default_body),
    "timekit": WebhookFormat(TIMEKIT_SIGNATURE_HEADER, timekit_body),
}
