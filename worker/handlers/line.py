"""Serving a class's waitlist inside a command's transaction: expiry, promotion, offers.

Called with the class row locked whenever the class is touched, so that freed seats go to the
line in the same transaction that freed them, and a lapsed offer is never read as open.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import RowMapping

from ..domain.errors import ChangedConcurrentlyError
from ..domain.graphs import CUSTOMER_GRAPH, State
from ..domain.notifications import notices_for
from ..domain.seats import is_bookable_now
from ..domain.waitlist import OFFER, SeatCounts, Waiting, first_fits, offer_deadline
from ..outbox import CommandTx, customer_of, owner_of, stage
from ..storage import line_queries, queries
from .allocation import snapshot_of
from .command import Command

Row = dict[str, Any]


@dataclass(frozen=True)
class LineEntry(Waiting):
    row: RowMapping


def serve_line(tx: CommandTx, klass: Mapping[Any, Any], now: datetime) -> Row:
    """Bring the class's line up to date at `now`; the class as it now is.

    Offers past their deadline expire; then the seats free go to waiting entries in order of
    arrival, each that fits (promoted, or offered in offer mode). Once the class can no longer
    be booked, its whole line expires instead.
    """
    klass = dict(klass)
    if not klass["waitlist_seats"] and not klass["offered_seats"]:
        return klass  # no line: the common case costs nothing
    if not is_bookable_now(snapshot_of(klass), now):
        return close_line(tx, klass, now)
    klass = _expire_offers(tx, klass, now)
    return _give_free_seats(tx, klass, now)


def close_line(tx: CommandTx, klass: Row, now: datetime) -> Row:
    """Every waiting or offered entry ends in waitlist_expired, and is told."""
    closed = line_queries.close_line_of_class(tx.connection, klass["id"], now)
    change = SeatCounts(
        offered=-_seats(e for e in closed if e["state"] == State.OFFERED),
        waiting=-_seats(e for e in closed if e["state"] == State.WAITLISTED),
    )
    moved = [{**entry, "state": State.WAITLIST_EXPIRED, "updated_at": now} for entry in closed]
    return _record(tx, klass, change, moved, "expire_waitlist", now, from_states=closed)


def _expire_offers(tx: CommandTx, klass: Row, now: datetime) -> Row:
    if not klass["offered_seats"]:
        return klass  # no open offer (the counter is read under the row lock): none to expire
    expired = line_queries.expire_offers_of_class(tx.connection, klass["id"], now)
    if not expired:
        return klass
    change = SeatCounts(offered=-_seats(expired))
    from_states = [{**entry, "state": State.OFFERED} for entry in expired]
    return _record(tx, klass, change, list(expired), "expire_offer", now, from_states=from_states)


def _give_free_seats(tx: CommandTx, klass: Row, now: datetime) -> Row:
    free = snapshot_of(klass).seats_left
    if free <= 0 or not klass["waitlist_seats"]:
        return klass
    chosen = _first_fits_in_line(tx, klass["id"], free)
    if not chosen:
        return klass
    seats = _seats(entry.row for entry in chosen)
    ids: list[UUID] = [entry.id for entry in chosen]
    if klass["waitlist_promotion"] == OFFER:
        action, to_state, change = "offer", State.OFFERED, SeatCounts(offered=seats, waiting=-seats)
        deadline = offer_deadline(now, klass["offer_s"])
    else:
        action, to_state, change = (
            "promote",
            State.CONFIRMED,
            SeatCounts(held=seats, waiting=-seats),
        )
        deadline = None
    moved = line_queries.move_entries(
        tx.connection,
        ids,
        from_state=State.WAITLISTED,
        to_state=to_state,
        now=now,
        offer_expires_at=deadline,
    )
    if len(moved) != len(chosen):  # only without the row lock (the seat-guard drill)
        raise ChangedConcurrentlyError("the waitlist changed while it was served; try again")
    return _record(tx, klass, change, list(moved), action, now, from_states=[e.row for e in chosen])


def _first_fits_in_line(tx: CommandTx, class_id: UUID, free: int) -> list[LineEntry]:
    """first_fits over the line, without reading all of a long one.

    Only entries of at most `free` seats can be taken, and each takes at least one seat: if
    the first `free` of them fill the free seats, or are all there are, no later entry can be
    taken. Only when they leave seats free is the rest of the line read.
    """
    head = _entries(line_queries.read_waiting(tx.connection, class_id, fitting=free, limit=free))
    chosen = first_fits(free, head)
    if len(head) < free or _seats(entry.row for entry in chosen) == free:
        return chosen
    return first_fits(
        free, _entries(line_queries.read_waiting(tx.connection, class_id, fitting=free))
    )


def _entries(rows: Sequence[RowMapping]) -> list[LineEntry]:
    return [LineEntry(row["id"], row["seats"], row) for row in rows]


def _record(
    tx: CommandTx,
    klass: Row,
    change: SeatCounts,
    moved: Sequence[Mapping[Any, Any]],
    action: str,
    now: datetime,
    *,
    from_states: Sequence[Mapping[Any, Any]],
) -> Row:
    """Count `change` on the class, log each entry's step and stage its notices."""
    tx.seats.count(tx.connection, klass, change, now)
    after = {
        **klass,
        "current_seats": klass["current_seats"] + change.held,
        "offered_seats": klass["offered_seats"] + change.offered,
        "waitlist_seats": klass["waitlist_seats"] + change.waiting,
        "updated_at": now,
    }
    before = {entry["id"]: entry["state"] for entry in from_states}
    queries.append_logs(
        tx.connection,
        [
            queries.log_entry(entry["id"], action, before[entry["id"]], entry["state"], None, now)
            for entry in moved
        ],
    )
    owner = owner_of(after)
    announcements = [
        (entry, notices_for(action, owner=owner, customer=customer_of(entry), message=None))
        for entry in moved
    ]
    stage(tx, announcements, klass=after, now=now)
    return after


def _seats(entries: Any) -> int:
    return sum(entry["seats"] for entry in entries)


def join_line(
    tx: CommandTx, klass: Mapping[Any, Any], seats: int, booker: Mapping[str, Any], now: datetime
) -> tuple[Row, Row]:
    """Write a seat booking that waits (already judged to have room); (booking, class after).

    `booker` holds the booking's own columns from its body (its customer, resource, meta)."""
    conn = tx.connection
    number = tx.seats.join_line(conn, klass, seats, now)
    if number is None:
        raise ChangedConcurrentlyError("the class changed while the booking joined its waitlist")
    values: Row = {
        "id": uuid.uuid4(),
        "graph": CUSTOMER_GRAPH.name,
        "state": State.WAITLISTED,
        "created_at": now,
        "updated_at": now,
        "owner_booking_id": klass["id"],
        "seats": seats,
        **booker,
        "line_number": number,
        # The class's policy as it is now: a later change of its settings leaves this seat's.
        "late_cancel": klass.get("late_cancel"),
    }
    queries.insert_booking(conn, values)
    queries.append_logs(
        conn, [queries.log_entry(values["id"], "create", None, State.WAITLISTED, None, now)]
    )
    values["position"] = line_queries.position_in_line(conn, values)
    after = {
        **klass,
        "waitlist_seats": klass["waitlist_seats"] + seats,
        "line_arrivals": number,
        "updated_at": now,
    }
    notices = notices_for(
        "waitlist", owner=owner_of(after), customer=customer_of(values), message=None
    )
    stage(tx, [(values, notices)], klass=after, now=now)
    return values, after


def sweep_lines(tx: CommandTx, batch: int, now: datetime) -> dict[str, Any]:
    """Serve the lines of up to `batch` classes with a lapsed offer or a closed booking window.

    Their rows are locked, skipping any another transaction holds (a second sweep, or a
    command that serves the line itself), so two sweeps at once take different classes.
    """
    class_ids = line_queries.lock_classes_to_sweep(tx.connection, now, batch)
    for class_id in class_ids:
        klass = queries.read_booking(tx.connection, class_id)
        assert klass is not None, "a class locked is not deleted"
        serve_line(tx, klass, now)
    return {"classes": len(class_ids)}


SWEEP_LINES: Command[int] = Command("sweep_lines", apply=sweep_lines)
