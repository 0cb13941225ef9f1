"""What a seat booking's log says of its e-mailed invitations: their SEQUENCE, and whether one
was ever sent (the booking was confirmed)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, case, func, select

from ..domain.graphs import State
from .tables import booking_logs, outbox


def log_counts(conn: Connection, delivery_ids: Collection[UUID]) -> dict[UUID, dict[str, int]]:
    """For each delivery, its booking's log rows written up to the change it announces (the
    change's own rows included: they share its `created_at`), and how many confirmed it.

    Counting by time rather than now keeps an e-mail's SEQUENCE that of its change however
    late it goes out, and the same whichever order a handler wrote its log and outbox rows."""
    if not delivery_ids:
        return {}
    confirmed = case((booking_logs.c.to_state == State.CONFIRMED, 1), else_=0)
    query = (
        select(
            outbox.c.id,
            func.count(booking_logs.c.id).label("changes"),
            func.coalesce(func.sum(confirmed), 0).label("confirmations"),
        )
        .select_from(
            outbox.join(
                booking_logs,
                (booking_logs.c.booking_id == outbox.c.booking_id)
                & (booking_logs.c.created_at <= outbox.c.created_at),
            )
        )
        .where(outbox.c.id.in_(list(delivery_ids)))
        .group_by(outbox.c.id)
    )
    found: dict[UUID, dict[str, Any]] = {}
    for row in conn.execute(query).mappings():
        found[row["id"]] = {"changes": row["changes"], "confirmations": row["confirmations"]}
    return found
