"""Each e-mail with an .ics gets what its invitation must say from its booking's log.

- `sequence`: the seat booking's log rows less one, as its customer feed counts them
  (worker/feeds.py), so a moved booking's new REQUEST outranks the one it replaces and a
  calendar updates its event rather than keeping the first.
- `invited`: whether the booking was ever confirmed, and so ever sent an invitation; a
  waiting entry cancelled gets no CANCEL of an event its calendar never had.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from .domain.notifications import CALENDAR_METHOD
from .feeds import sequence
from .storage.invitation_queries import log_counts

Delivery = Mapping[Any, Any]


def with_invitation_sequences(conn: Connection, claimed: Sequence[Delivery]) -> list[Delivery]:
    """The claimed deliveries, each e-mail with an .ics among them with its `calendar`."""
    inviting = [
        row["id"] for row in claimed if row["channel"] == "email" and row["type"] in CALENDAR_METHOD
    ]
    counts = log_counts(conn, inviting)
    return [
        {**row, "calendar": _calendar(counts[row["id"]])} if row["id"] in counts else row
        for row in claimed
    ]


def _calendar(counts: Mapping[str, int]) -> dict[str, Any]:
    return {"sequence": sequence(counts["changes"]), "invited": counts["confirmations"] > 0}
