"""After a drill, issue 12's commands: deletions, widget bookings and action-link cancels.

- A booking a caller was told was deleted has nothing left: no row, no log, no notification;
  it was final when deleted; a booking that is gone was deleted by a command a caller was told
  of; a deletion sent again under its key was told the same; and the class of a completed seat
  booking deleted counts exactly the seats of the seat bookings it still holds.
- A widget booking, sent twice under its derived key, exists once (none if refused or
  deleted), holds its body's resource, project, meta and customer as sent, and its retry was
  told the same.
- A seat booking cancelled from its link (pressed twice) was cancelled once: one step into a
  cancelled state in its log, and that one `cancel_by_customer` (or `late_cancel`, its
  late form) when its caller was told so.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, func, select

from worker.domain.graphs import GRAPHS, SEAT_HOLDING_STATES
from worker.storage.tables import booking_logs, bookings, outbox

from .timekit_load import WIDGET_OPS

if TYPE_CHECKING:
    from .checks import Findings
    from .line_checks import Logged
    from .load import Told

DELETES = ("delete_booking", "delete_replay")
CANCELLED = ("cancelled_by_customer", "cancelled_by_owner", "late_cancelled")
# A customer's cancel: on time, or late where the seat's policy allows it.
BY_CUSTOMER = ("cancel_by_customer", "late_cancel")
# A widget body's fields and the columns that keep them.
CUSTOMER_COLUMNS = {
    "name": "customer_name",
    "email": "customer_email",
    "phone": "customer_phone",
    "voip": "customer_voip",
    "timezone": "customer_timezone",
}


def deleted_ids(journal: Iterable[Told]) -> set[str]:
    """Every booking a caller was told was deleted (a class's seat bookings with it)."""
    return {
        booking_id
        for told in journal
        if told.op in DELETES and told.status == 200
        for booking_id in told.deleted
    }


def check_deletions(engine: Engine, journal: Sequence[Told], findings: Findings) -> None:
    gone = deleted_ids(journal)
    created = {booking_id for told in journal for booking_id in told.made}
    with engine.connect() as conn:
        existing = {str(row.id) for row in conn.execute(select(bookings.c.id))}
        left = Counter(
            str(booking_id)
            for table in (booking_logs, outbox)
            for (booking_id,) in conn.execute(select(table.c.booking_id))
        )
    findings.deleted = len(gone)
    for booking_id in sorted(gone):
        if booking_id in existing or left[booking_id]:
            findings.deleted_left += 1
            findings.problem(
                f"{booking_id} was deleted, {left[booking_id]} logs or notices "
                f"left, its row {'left' if booking_id in existing else 'gone'}"
            )
    for booking_id in sorted(created - existing - gone):
        findings.deleted_unasked += 1
        findings.problem(f"{booking_id} is gone, no caller was told it was deleted")
    originals = {told.key: told for told in journal if told.op == "delete_booking"}
    for told in journal:
        original = originals.get(told.key)
        if told.op == "delete_booking" and told.status == 200 and not _final(told):
            findings.deleted_unasked += 1
            findings.problem(f"{told.target} was deleted in state {told.state} ({told.graph})")
        elif told.op == "delete_replay" and original is not None and _told_apart(told, original):
            findings.mistold += 1
            findings.problem(f"deletion {told.key} told {original.status} then {told.status}")
    _check_completed_seats_left_their_class(engine, journal, findings)


def _final(told: Told) -> bool:
    """Whether the state a booking was deleted in is a final state of its graph: one some
    step leads to and none leaves."""
    graph = GRAPHS.get(told.graph or "")
    if graph is None or told.state is None:
        return False
    reached = {state for steps in graph.transitions.values() for state in steps.values()}
    return told.state in reached and graph.is_final(told.state)


def _told_apart(told: Told, original: Told) -> bool:
    return (told.status, told.result_id) != (original.status, original.result_id)


def _check_completed_seats_left_their_class(
    engine: Engine, journal: Iterable[Told], findings: Findings
) -> None:
    """The class of each completed seat booking deleted counts only the seats still in it."""
    classes = {
        told.of_class
        for told in journal
        if told.op == "delete_booking"
        and told.status == 200
        and told.state == "completed"
        and told.of_class is not None
    }
    if not classes:
        return
    held: dict[str, int] = defaultdict(int)
    counted: dict[str, int] = {}
    with engine.connect() as conn:
        for class_id, current_seats in conn.execute(
            select(bookings.c.id, bookings.c.current_seats).where(bookings.c.id.in_(classes))
        ):
            counted[str(class_id)] = current_seats
        for class_id, seats in conn.execute(
            select(bookings.c.owner_booking_id, func.sum(bookings.c.seats))
            .where(
                bookings.c.owner_booking_id.in_(classes), bookings.c.state.in_(SEAT_HOLDING_STATES)
            )
            .group_by(bookings.c.owner_booking_id)
        ):
            held[str(class_id)] = int(seats)
    for class_id, current_seats in counted.items():
        if current_seats != held[class_id]:
            findings.seats_not_freed += 1
            findings.problem(
                f"class {class_id} counts {current_seats} seats after a completed "
                f"seat booking was deleted, its bookings hold {held[class_id]}"
            )


def check_widget_bookings(engine: Engine, journal: Sequence[Told], findings: Findings) -> None:
    gone = deleted_ids(journal)
    sent = [told for told in journal if told.op in WIDGET_OPS and told.body is not None]
    emails = [told.body["customer"]["email"] for told in sent if told.body is not None]
    with engine.connect() as conn:
        rows: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        for row in conn.execute(
            select(bookings).where(bookings.c.customer_email.in_(emails))
        ).mappings():
            rows[row["customer_email"]].append(row)
    first = {told.key: told for told in sent if told.op == "widget_booking"}
    for told in sent:
        assert told.body is not None
        if told.op == "widget_retry":
            original = first.get(told.key)
            if original and _told_apart(told, original):
                findings.mistold += 1
                findings.problem(
                    f"widget booking {told.key} told {original.status} "
                    f"{original.result_id}, its retry {told.status} {told.result_id}"
                )
            continue
        findings.widget_bookings += 1
        found = rows.get(told.body["customer"]["email"], [])
        expected = 1 if told.status == 201 and told.result_id not in gone else 0
        if told.status is not None and len(found) != expected:
            findings.duplicated += abs(len(found) - expected)
            findings.problem(
                f"widget booking {told.key} ({told.status}) is stored {len(found)} times"
            )
        for row in found:
            wrong = _not_as_sent(row, told.body)
            if wrong:
                findings.not_as_sent += 1
                findings.problem(f"widget booking {row['id']} holds {', '.join(wrong)} not as sent")


def _not_as_sent(row: Mapping[str, Any], body: Mapping[str, Any]) -> list[str]:
    """The fields of a widget body its row does not hold as sent."""
    customer = dict(body["customer"])
    expected = {column: customer.pop(field, None) for field, column in CUSTOMER_COLUMNS.items()}
    expected |= {
        "customer_fields": customer or None,
        "resource_id": body.get("resource_id"),
        "project_id": body.get("project_id"),
        "meta": body.get("meta"),
    }
    return [column for column, value in expected.items() if row[column] != value]


def check_link_cancels(
    journal: Iterable[Told], logs: Mapping[Any, Sequence[Logged]], findings: Findings
) -> None:
    gone = deleted_ids(journal)
    by_id = {str(booking_id): walk for booking_id, walk in logs.items()}
    for told in journal:
        if told.op != "link_cancel" or told.target is None or told.target in gone:
            continue
        findings.link_cancels += 1
        walk = by_id.get(told.target, [])
        cancels = sum(entry.to_state in CANCELLED for entry in walk)
        by_customer = sum(entry.action in BY_CUSTOMER for entry in walk)
        if cancels > 1 or (told.status == 200 and by_customer != 1):
            findings.cancelled_twice += 1
            findings.problem(
                f"{told.target} cancelled from its link ({told.status}): "
                f"{cancels} cancels logged, {by_customer} by its customer"
            )
