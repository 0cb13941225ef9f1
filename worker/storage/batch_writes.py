"""How a batch of seat bookings writes with few round trips (worker/handlers/together.py).

`DeferredRows`: the rows the batch's bookings add but none of them reads back (seat bookings,
their logs, their outbox rows, their command keys) are kept in memory and inserted at the end,
one statement per table, just before the commit.

`ChangedRows`: how many statements on a connection may have changed rows, so that a booking
refused after changing none needs no savepoint to be undone.

`ClassRowsKept`: a class row read (and locked) once serves the batch's later bookings of that
class, with their seat takes applied to it, for as long as nothing else changed a row.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, event
from sqlalchemy.exc import DBAPIError

from ..domain.waitlist import SeatCounts
from .outbox_queries import insert_deliveries
from .queries import append_logs, insert_bookings, record_command_keys
from .seat_guard import SeatGuard

Row = dict[str, Any]


@dataclass
class DeferredRows:
    bookings: list[Row] = field(default_factory=list)
    logs: list[Row] = field(default_factory=list)
    deliveries: list[Row] = field(default_factory=list)
    keys: list[Row] = field(default_factory=list)

    def mark(self) -> tuple[int, int, int, int]:
        """Where the rows stand now, for `forget_since`."""
        return len(self.bookings), len(self.logs), len(self.deliveries), len(self.keys)

    def forget_since(self, mark: tuple[int, int, int, int]) -> None:
        """Drop the rows added after `mark` (a refused booking's)."""
        for rows, kept in zip(self._tables(), mark, strict=True):
            del rows[kept:]

    def insert(self, conn: Connection) -> None:
        """Every row, bookings first (the others refer to them): a statement per table and
        per set of columns, all sent in one round trip where the driver can."""
        with _one_round_trip(conn):
            for rows, write in zip(self._tables(), _WRITERS, strict=True):
                for same_columns in _by_columns(rows):
                    write(conn, same_columns)

    def _tables(self) -> tuple[list[Row], ...]:
        return self.bookings, self.logs, self.deliveries, self.keys


_WRITERS = (insert_bookings, append_logs, insert_deliveries, record_command_keys)


@contextmanager
def _one_round_trip(conn: Connection) -> Iterator[None]:
    """psycopg's pipeline mode around the statements run within: each executemany rides the
    one pipeline and a single Sync ends them all, instead of a Sync (a round trip) each. An
    error the Sync brings back (a key recorded before) is raised as SQLAlchemy raises it from
    a statement. Other drivers (SQLite) run the statements as they come."""
    driver = conn.connection.driver_connection
    pipeline = getattr(driver, "pipeline", None)
    if pipeline is None:
        yield
        return
    try:
        with pipeline():
            yield
    except DBAPIError:
        raise
    except Exception as error:  # the driver's own, raised at the Sync
        raise DBAPIError.instance(None, None, error, Exception) from error


def _by_columns(rows: Sequence[Row]) -> list[list[Row]]:
    """Rows grouped by the columns they set, in order of first appearance: a multi-row insert
    takes its columns from its first row."""
    groups: dict[frozenset[str], list[Row]] = {}
    for row in rows:
        groups.setdefault(frozenset(row), []).append(row)
    return list(groups.values())


class ChangedRows:
    """Counts, while open, the statements on `connection` that may have changed a row.

    A SELECT changes none (SELECT ... FOR UPDATE included); any other statement counts unless
    its driver says it changed no row. One with RETURNING always counts: SQLite tells its
    row count only once its rows are read.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.count = 0

    def __enter__(self) -> ChangedRows:
        event.listen(self._connection, "after_cursor_execute", self._after_execute)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        event.remove(self._connection, "after_cursor_execute", self._after_execute)

    def _after_execute(
        self,
        _conn: Connection,
        cursor: Any,
        statement: str,
        _parameters: Any,
        _context: Any,
        _executemany: bool,
    ) -> None:
        words = statement.lstrip()[:6].upper()
        if words == "SELECT":
            return
        if cursor.rowcount != 0 or "RETURNING" in statement.upper():
            self.count += 1


class ClassRowsKept(SeatGuard):
    """`guard`, with the class rows it read kept for the rest of the transaction.

    A kept row is exact: this transaction holds its row lock, so only its own statements can
    change it, and `changed` counts those. A seat take by `guard` is applied to the kept row
    (its seats and updated_at, as the statement sets them); any other statement that may
    have changed a row drops every kept row, to be read again.
    """

    def __init__(self, guard: SeatGuard, changed: ChangedRows) -> None:
        self._guard = guard
        self._changed = changed
        self._rows: dict[UUID, dict[str, Any]] = {}
        self._as_of = changed.count

    def read_class(self, conn: Connection, class_id: UUID) -> Mapping[Any, Any] | None:
        if self._changed.count != self._as_of:
            self._rows.clear()
            self._as_of = self._changed.count
        kept = self._rows.get(class_id)
        if kept is None:
            row = self._guard.read_class(conn, class_id)
            if row is None:
                return None
            kept = self._rows[class_id] = dict(row)
        return dict(kept)

    def keep_together(self, conn: Connection, class_ids: Sequence[UUID]) -> None:
        """Read and keep these classes' rows in one statement (a batch's classes, before its
        first booking), instead of one statement each as their bookings come."""
        if self._changed.count != self._as_of:
            self._rows.clear()
            self._as_of = self._changed.count
        missing = [c for c in class_ids if c not in self._rows]
        if len(missing) > 1:
            rows = self._guard.read_classes(conn, missing)
            self._rows.update((class_id, dict(row)) for class_id, row in rows.items())

    def take(self, conn: Connection, klass: Mapping[Any, Any], seats: int, now: datetime) -> bool:
        current = self._changed.count == self._as_of
        taken = self._guard.take(conn, klass, seats, now)
        kept = self._rows.get(klass["id"])
        if taken and current and kept is not None:
            kept.update(current_seats=kept["current_seats"] + seats, updated_at=now)
            self._as_of = self._changed.count
        return taken

    def join_line(
        self, conn: Connection, klass: Mapping[Any, Any], seats: int, now: datetime
    ) -> int | None:
        return self._guard.join_line(conn, klass, seats, now)

    def count(
        self, conn: Connection, klass: Mapping[Any, Any], change: SeatCounts, now: datetime
    ) -> None:
        self._guard.count(conn, klass, change, now)

    def resize(
        self, conn: Connection, klass: Mapping[Any, Any], max_seats: int, now: datetime
    ) -> bool:
        return self._guard.resize(conn, klass, max_seats, now)
