"""Reading back what a channel sent as its receivers would: an e-mail's recipients, its .ics
through two parsers, a log line as JSON (issue 15's proof that odd text is delivered whole)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any, cast

import ics
from icalendar import Calendar

RECIPIENT_HEADERS = ("To", "Cc", "Bcc", "Resent-To", "Resent-Cc", "Resent-Bcc")


def as_received(message: EmailMessage) -> EmailMessage:
    """`message` after the wire: its SMTP bytes parsed back as a mail client parses them."""
    return message_from_bytes(message.as_bytes(policy=policy.SMTP), policy=policy.default)


def recipients(message: EmailMessage) -> list[str]:
    """Every address a recipient header of `message` names, read as plain RFC 5322."""
    fields = [str(value) for name in RECIPIENT_HEADERS for value in message.get_all(name, [])]
    return [address for _name, address in getaddresses(fields)]


def invitation_of(message: EmailMessage) -> bytes:
    """The bytes of the .ics attached to `message` (it must have one)."""
    [part] = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    return cast(bytes, part.get_payload(decode=True))


@dataclass(frozen=True)
class ReadEvent:
    summary: str
    location: str | None
    description: str | None


def events_read_twice(data: bytes) -> tuple[list[ReadEvent], list[ReadEvent]]:
    """The events of an .ics as icalendar reads them, and as the `ics` package reads them."""
    by_icalendar = [
        ReadEvent(
            str(event["SUMMARY"]),
            str(event["LOCATION"]) if "LOCATION" in event else None,
            str(event["DESCRIPTION"]) if "DESCRIPTION" in event else None,
        )
        for event in Calendar.from_ical(data).walk("VEVENT")
    ]
    by_ics = [
        ReadEvent(event.name or "", event.location, event.description)
        for event in ics.Calendar(data.decode("utf-8")).events
    ]
    return by_icalendar, by_ics


def one_json_object(line: str) -> dict[str, Any]:
    """`line` as the one JSON object it must be, on one line by every reader's count."""
    assert len(line.splitlines()) == 1, f"not one line: {line!r}"
    document = json.loads(line)
    assert isinstance(document, dict)
    return document
