"""A class's history replayed from its logs against the waitlist's rules, read from the database.

Every log row of a class and of its seat bookings is written while the command holds the
class's row (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE serialises every writer), so
their ids order the class's commands as they were serialised, one command's rows together.
Replaying them through a model of the rules checks what a snapshot cannot: that each freeing
promoted exactly the entries that first fit in order of arrival, at the moment it happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, or_, select

from worker.domain.graphs import State
from worker.storage.tables import booking_logs, bookings

PROMOTE = "promote"
FREEING = ("cancel_by_customer", "cancel_by_owner")


class HistoryError(AssertionError):
    """The logs show a step the waitlist's rules would not have taken."""


@dataclass(frozen=True)
class Entry:
    id: UUID
    seats: int
    line_number: int | None


@dataclass
class ClassModel:
    """What the rules say the class holds after each command: max, seats held, the line."""

    max_seats: int
    held: dict[UUID, int] = field(default_factory=dict)
    waiting: dict[UUID, Entry] = field(default_factory=dict)
    last_arrival: int = 0
    promotions: int = 0

    @property
    def free(self) -> int:
        return self.max_seats - sum(self.held.values())

    def first_fits(self) -> list[UUID]:
        """In order of arrival, each waiting entry whose seats fit what is still free."""
        free, chosen = self.free, []
        for entry in sorted(self.waiting.values(), key=lambda e: e.line_number or 0):
            if entry.seats <= free:
                chosen.append(entry.id)
                free -= entry.seats
        return chosen


def replay_class(conn: Connection, class_id: str, max_seats: int) -> ClassModel:
    """Replay every command on the class (created with `max_seats`, automatic promotion) and
    check each step; raises HistoryError at the first the rules would not have taken. The
    model at the end is compared with the rows as they are."""
    klass = UUID(class_id)
    entries = _seat_bookings(conn, klass)
    model = ClassModel(max_seats)
    for head, promoted in _commands(_logs(conn, [klass, *entries])):
        _apply(model, head, entries, klass)
        expected = model.first_fits()
        actual = sorted(promoted, key=lambda i: entries[i].line_number or 0)
        if actual != expected:
            raise HistoryError(
                f"after log {head['id']} ({head['action']}) the rules promote {expected}, "
                f"the worker promoted {actual}"
            )
        for booking_id in promoted:
            model.held[booking_id] = model.waiting.pop(booking_id).seats
        model.promotions += len(promoted)
    _compare_with_rows(conn, model, klass)
    return model


def _seat_bookings(conn: Connection, class_id: UUID) -> dict[UUID, Entry]:
    query = select(bookings.c.id, bookings.c.seats, bookings.c.line_number).where(
        bookings.c.owner_booking_id == class_id
    )
    return {row.id: Entry(row.id, row.seats, row.line_number) for row in conn.execute(query)}


def _logs(conn: Connection, booking_ids: Sequence[UUID]) -> list[dict[str, Any]]:
    query = select(booking_logs).where(booking_logs.c.booking_id.in_(booking_ids))
    return [dict(row) for row in conn.execute(query.order_by(booking_logs.c.id)).mappings()]


def _commands(logs: list[dict[str, Any]]) -> list[tuple[dict[str, Any], list[UUID]]]:
    """Each command's own log row with the promotions logged right after it in its transaction
    (a promotion always follows the step that freed the seats)."""
    commands: list[tuple[dict[str, Any], list[UUID]]] = []
    for log in logs:
        if log["action"] != PROMOTE:
            commands.append((log, []))
        elif not commands:
            raise HistoryError(f"log {log['id']}: a promotion before anything happened")
        else:
            commands[-1][1].append(log["booking_id"])
    return commands


def _apply(model: ClassModel, log: dict[str, Any], entries: dict[UUID, Entry], klass: UUID) -> None:
    booking_id, action, to_state = log["booking_id"], log["action"], log["to_state"]
    where = f"log {log['id']} ({action} of {booking_id})"
    if booking_id == klass:
        _apply_to_class(model, log, where)
    elif action == "create":
        _arrive(model, entries[booking_id], to_state, where)
    elif action in FREEING and log["from_state"] == State.CONFIRMED:
        model.held.pop(booking_id)
    elif action in FREEING and log["from_state"] == State.WAITLISTED:
        model.waiting.pop(booking_id)
    else:
        raise HistoryError(f"{where}: not a step of this history")


def _apply_to_class(model: ClassModel, log: dict[str, Any], where: str) -> None:
    if log["action"] == "create":
        return
    if log["action"] != "set_max_seats":
        raise HistoryError(f"{where}: not a step of this history")
    details = log["details"]
    if details["max_seats_before"] != model.max_seats:
        raise HistoryError(
            f"{where}: raised from {details['max_seats_before']}, not {model.max_seats}"
        )
    if details["max_seats_after"] < sum(model.held.values()):
        raise HistoryError(f"{where}: lowered below the seats held")
    model.max_seats = details["max_seats_after"]


def _arrive(model: ClassModel, entry: Entry, to_state: str, where: str) -> None:
    """A newcomer takes seats only if they are free (nobody waiting fits them: the previous
    command served the line); otherwise it joins the line's end."""
    if to_state == State.CONFIRMED:
        if entry.seats > model.free:
            raise HistoryError(f"{where}: {entry.seats} seats taken, {model.free} were free")
        model.held[entry.id] = entry.seats
    elif to_state == State.WAITLISTED:
        if entry.seats <= model.free:
            raise HistoryError(f"{where}: waits for {entry.seats} seats, {model.free} were free")
        if entry.line_number is None or entry.line_number <= model.last_arrival:
            raise HistoryError(f"{where}: line number {entry.line_number} out of arrival order")
        model.last_arrival = entry.line_number
        model.waiting[entry.id] = entry
    else:
        raise HistoryError(f"{where}: created {to_state}")


def _compare_with_rows(conn: Connection, model: ClassModel, klass: UUID) -> None:
    states = dict(
        conn.execute(
            select(bookings.c.id, bookings.c.state).where(
                or_(bookings.c.id == klass, bookings.c.owner_booking_id == klass)
            )
        ).all()
    )
    expected = {
        **{booking_id: State.CONFIRMED for booking_id in model.held},
        **{booking_id: State.WAITLISTED for booking_id in model.waiting},
    }
    actual = {
        booking_id: state
        for booking_id, state in states.items()
        if state in (State.CONFIRMED, State.WAITLISTED)
    }
    if actual != expected:
        differing = {i: (actual.get(i), expected.get(i)) for i in set(actual) | set(expected)}
        raise HistoryError(
            "rows (actual, replayed) differ: "
            f"{ {i: d for i, d in differing.items() if d[0] != d[1]} }"
        )
    max_seats = conn.execute(select(bookings.c.max_seats).where(bookings.c.id == klass)).scalar()
    if max_seats != model.max_seats:
        raise HistoryError(f"max_seats is {max_seats}, the replay ends at {model.max_seats}")
