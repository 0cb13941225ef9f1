"""Reads for running a class: its attendance, its roster, and a seat's cancel policy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from api_client.contract.requests import RosterQuery

from ..domain.attendance import cancel_policy, policy_of
from ..domain.errors import NotFoundError
from ..domain.graphs import GROUP_OWNER, SEAT_HOLDING_STATES, State
from ..presenter import attendance_fields, rfc3339
from ..storage import queries
from .command import Query, Result

Row = Mapping[Any, Any]
# Who the roster lists: every seat booking that holds (or held) seats, and late cancels, which
# a studio may charge for. Waiting, offered and cancelled in time are not on it.
ROSTER_STATES = (*SEAT_HOLDING_STATES, State.LATE_CANCELLED)


def attendance_of(conn: Connection, klass: Row) -> dict[str, Any]:
    """`include=attendance` of a class: seats booked, checked in (or attended) and no-show,
    and each seat booking holding seats with its state and check-in."""
    seated = queries.read_seated_bookings(conn, klass["id"])
    checked_in = [seat for seat in seated if seat.get("checked_in_at") is not None]
    no_shows = [seat for seat in seated if seat["state"] == State.NO_SHOW]
    return {
        "track_attendance": bool(klass.get("track_attendance")),
        "booked": _seats(seated),
        "checked_in": _seats(checked_in),
        "no_show": _seats(no_shows),
        "bookings": [_entry(seat) for seat in seated],
    }


def _seats(rows: Sequence[Row]) -> int:
    return sum(int(row["seats"]) for row in rows)


def _entry(seat: Row) -> dict[str, Any]:
    return {
        "id": str(seat["id"]),
        "state": seat["state"],
        "seats": seat["seats"],
        "customer": {"name": seat["customer_name"], "email": seat["customer_email"]},
        "checked_in_at": None,
        **attendance_fields(seat),
    }


def cancel_policy_of(seat: Row, klass: Row, now: datetime) -> dict[str, Any]:
    """`include=cancel_policy` of a seat booking: whether a customer's cancel now would be on
    time, late or refused, until when it is on time, and the policy stored on the seat."""
    decided = cancel_policy(
        seat["state"],
        class_start=klass["starts_at"],
        min_cancel_s=klass["min_cancel_s"],
        policy=policy_of(seat.get("late_cancel")),
        now=now,
    )
    until = decided.on_time_until
    return {
        "late_cancel": decided.policy.value,
        "cancel_now": decided.now.value,
        "on_time_until": None if until is None else rfc3339(until),
    }


def get_roster(conn: Connection, query: RosterQuery) -> Result:
    """A class's roster, for its owner: name, e-mail, seats, state, booked at, checked in at;
    by name, then by when they booked."""
    klass = queries.read_booking(conn, query.booking_id)
    if klass is None or klass["graph"] != GROUP_OWNER:
        raise NotFoundError(f"no class with id {query.booking_id}")
    seats = [
        seat
        for seat in queries.read_seat_bookings(conn, klass["id"])
        if seat["state"] in ROSTER_STATES
    ]
    seats.sort(key=lambda seat: (seat["customer_name"].casefold(), seat["created_at"]))
    return {"data": [_roster_line(seat) for seat in seats]}


def _roster_line(seat: Row) -> dict[str, Any]:
    checked_in_at = seat.get("checked_in_at")
    return {
        "id": str(seat["id"]),
        "name": seat["customer_name"],
        "email": seat["customer_email"],
        "seats": seat["seats"],
        "state": seat["state"],
        "booked_at": rfc3339(seat["created_at"]),
        "checked_in_at": None if checked_in_at is None else rfc3339(checked_in_at),
    }


GET_ROSTER = Query(get_roster)
