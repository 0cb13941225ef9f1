"""The e-mail channel: a plain-text message over SMTP, with an .ics for calendar changes."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from uuid import UUID

from ..customer_links import CustomerLinks
from ..domain.notifications import CALENDAR_METHOD, CUSTOMER
from ..domain.reminders import REMINDER
from . import Delivery, DeliveryFailure
from .email_times import local_time, when_line
from .ics import Parties, invitation
from .safe_text import one_line

SUBJECTS = {
    "booking.created": "New booking: {what}",
    "booking.confirmed": "You are booked: {what}",
    "booking.cancelled_by_customer": "Booking cancelled by the customer: {what}",
    "booking.cancelled_by_owner": "Cancelled: {what}",
    "booking.waitlisted": "You are on the waitlist: {what}",
    "booking.promoted": "A seat came free, you are booked: {what}",
    "booking.offered": "A seat is yours if you accept: {what}",
    "booking.offer_expired": "Your offer expired: {what}",
    "booking.waitlist_expired": "The waitlist has closed: {what}",
    "booking.moved": "Booking moved: {what}",
    "booking.no_show": "We missed you: {what}",
    "booking.late_cancelled": "Late cancel by the customer: {what}",
    REMINDER: "Reminder: {what}",
}


# The signed links (worker/customer_links.py) a customer's e-mail carries, by its type.
LINKS_BY_TYPE = {
    "booking.confirmed": ("cancel_by_customer",),
    "booking.promoted": ("cancel_by_customer",),
    "booking.moved": ("cancel_by_customer",),
    "booking.waitlisted": ("cancel_by_customer",),
    "booking.offered": ("accept_offer", "decline_offer"),
}
LINK_LABELS = {
    "cancel_by_customer": "Cancel your booking",
    "accept_offer": "Accept the offer",
    "decline_offer": "Decline the offer",
}


def _waitlist_lines(delivery: Delivery, linked: bool) -> list[str]:
    """A waiting booking's place in line, or how to accept an offer and by when."""
    booking = delivery["payload"]
    place = booking["attributes"].get("waitlist") or {}
    if place.get("position") is not None:
        return [f"Waitlist position: {place['position']}"]
    if place.get("offer_expires_at") is not None:
        lines = [f"Offer open until: {local_time(delivery, place['offer_expires_at'])}"]
        if not linked:
            lines += [
                f"Accept: PUT /v2/bookings/{booking['id']}/accept_offer",
                f"Decline: PUT /v2/bookings/{booking['id']}/decline_offer",
            ]
        return lines
    return []


def _link_lines(delivery: Delivery, links: CustomerLinks | None) -> list[str]:
    """The customer's signed links for this e-mail: only to the customer, never the owner."""
    wanted = LINKS_BY_TYPE.get(delivery["type"], ())
    if links is None or not wanted or delivery["recipient_role"] != CUSTOMER:
        return []
    signed = links.for_presented(delivery["payload"])
    return [f"{LINK_LABELS[action]}: {signed[action]}" for action in wanted if action in signed]


def _reminder_lines(delivery: Delivery) -> list[str]:
    reminder = delivery["payload"].get("reminder") if delivery["type"] == REMINDER else None
    return [f"Your class starts in {reminder['before']}.", ""] if reminder else []


def compose(delivery: Delivery, sender: str, links: CustomerLinks | None = None) -> EmailMessage:
    """The message for one delivery: class, time, seats and the message in plain text, and
    the customer's action links where `links` signs them."""
    booking = delivery["payload"]
    info = booking["attributes"]["event_info"]
    owner = _owner(delivery)
    message = EmailMessage()
    message["From"] = sender
    # An Address, not an f-string: a name like "McFly, Marty" must stay one recipient; and
    # one line, for a header may not break (an old row's name may hold a line break).
    message["To"] = Address(
        display_name=one_line(delivery["recipient_name"] or ""),
        addr_spec=delivery["recipient_email"],
    )
    if owner is not None and delivery["recipient_role"] == CUSTOMER:
        # A customer's answer reaches whoever runs the class, not the booking system.
        message["Reply-To"] = Address(
            display_name=one_line(owner["name"] or ""), addr_spec=owner["email"]
        )
    title = one_line(str(info["what"]))
    message["Subject"] = SUBJECTS.get(delivery["type"], "{what}").format(what=title)
    message["Message-ID"] = f"<{delivery['notification_id']}@group-bookings>"
    lines = [
        *_reminder_lines(delivery),
        f"Class: {info['what']}",
        when_line(delivery),
        f"Where: {info.get('where') or '-'}",
        f"Seats: {booking.get('seats')}",
        f"Booking: {booking['id']} ({booking['state']})",
    ]
    link_lines = _link_lines(delivery, links)
    lines += _waitlist_lines(delivery, linked=bool(link_lines))
    if delivery["message"]:
        lines += ["", "Message:", delivery["message"]]
    if link_lines:
        lines += ["", *link_lines]
    message.set_content("\n".join(lines) + "\n")
    method = CALENDAR_METHOD.get(delivery["type"])
    calendar = delivery.get("calendar") or {}
    # A waiting entry cancelled never had an invitation: a CANCEL would name an unknown event.
    if method is not None and (method != "CANCEL" or calendar.get("invited", True)):
        message.add_attachment(
            invitation(
                booking,
                method,
                parties=_parties(delivery, sender, owner),
                sequence=calendar.get("sequence"),
            ),
            maintype="text",
            subtype="calendar",
            filename="invite.ics",
            params={"method": method},
        )
    return message


def _owner(delivery: Delivery) -> dict[str, Any] | None:
    """The class's owner (name and e-mail), when the class has one."""
    owner: dict[str, Any] | None = delivery["payload"]["attributes"].get("owner")
    return owner if owner and owner.get("email") else None


def _parties(delivery: Delivery, sender: str, owner: dict[str, Any] | None) -> Parties:
    """The owner organizes, the sender sending for them (SENT-BY); without an owner the
    sender organizes, as a mailbox no one answers, so no reply is asked for."""
    sender_address = parseaddr(sender)[1] or sender
    attendee = {
        "attendee": delivery["recipient_email"],
        "attendee_name": delivery["recipient_name"],
    }
    if owner is None:
        return Parties(organizer=sender_address, **attendee)
    return Parties(
        organizer=owner["email"],
        organizer_name=owner["name"],
        sent_by=sender_address,
        rsvp=True,
        **attendee,
    )


def smtp_failure(error: Exception) -> DeliveryFailure:
    """How sending one composed message failed: permanent when the server refused it with a
    5xx reply (RFC 5321: do not repeat the command as it was) or cannot carry it at all; a
    4xx reply, a dropped connection or a timeout is tried again."""
    reason = f"{type(error).__name__}: {error}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        permanent = bool(codes) and all(code >= 500 for code in codes)
    elif isinstance(error, smtplib.SMTPResponseException):
        permanent = error.smtp_code >= 500
    else:
        # SMTPNotSupportedError (an address that needs SMTPUTF8 the server lacks) and a
        # ValueError from encoding the message will not change on a retry.
        permanent = isinstance(error, (smtplib.SMTPNotSupportedError, ValueError))
    return DeliveryFailure(reason, permanent=permanent)


class EmailChannel:
    def __init__(
        self, url: str, sender: str, *, timeout_s: float, links: CustomerLinks | None = None
    ) -> None:
        parts = urlsplit(url)
        self._implicit_tls = parts.scheme == "smtps"
        self._host = parts.hostname or "localhost"
        self._port = parts.port or (465 if self._implicit_tls else 25)
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        self._starttls = query.get("starttls", "false").lower() in ("true", "1")
        self._sender = sender
        self._timeout_s = timeout_s
        self._links = links

    def send(self, deliveries: Sequence[Delivery]) -> dict[UUID, DeliveryFailure]:
        try:
            server = self._connect()
        except (OSError, smtplib.SMTPException) as error:
            # Transient, whatever the server said: a wrong password or a certificate is put
            # right in the settings, and the messages should then go.
            failure = DeliveryFailure.transient(f"SMTP connection: {error}")
            return {delivery["id"]: failure for delivery in deliveries}
        errors: dict[UUID, DeliveryFailure] = {}
        with server:
            for delivery in deliveries:
                # One message that cannot be composed or sent must not sink the batch.
                try:
                    message = compose(delivery, self._sender, self._links)
                except Exception as error:
                    reason = f"cannot compose the message: {type(error).__name__}: {error}"
                    errors[delivery["id"]] = DeliveryFailure.for_good(reason)
                    continue
                try:
                    server.send_message(message)
                except (OSError, ValueError, smtplib.SMTPException) as error:
                    errors[delivery["id"]] = smtp_failure(error)
        return errors

    def _connect(self) -> smtplib.SMTP:
        # Verified TLS: smtplib's own default context would accept any certificate.
        context = ssl.create_default_context()
        if self._implicit_tls:
            server: smtplib.SMTP = smtplib.SMTP_SSL(
                self._host, self._port, timeout=self._timeout_s, context=context
            )
        else:
            server = smtplib.SMTP(self._host, self._port, timeout=self._timeout_s)
        if self._starttls:
            server.starttls(context=context)
        if self._user is not None:
            server.login(self._user, self._password or "")
        return server
