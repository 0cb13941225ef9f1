"""A class's roster as CSV: what `bookings roster --csv` prints and the gateway serves."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

# The columns, in order, and the roster entry's field each one shows.
COLUMNS = (
    ("name", "name"),
    ("email", "email"),
    ("seats", "seats"),
    ("state", "state"),
    ("booked_at", "booked_at"),
    ("checked_in_at", "checked_in_at"),
)


def roster_csv(entries: Iterable[Mapping[str, Any]]) -> str:
    """A header row, then one row per seat booking, quoted by the csv module where needed
    (commas, quotes, line breaks in names); an empty cell for a seat that did not check in."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([title for title, _ in COLUMNS])
    for entry in entries:
        writer.writerow(["" if entry.get(key) is None else entry[key] for _, key in COLUMNS])
    return buffer.getvalue()
