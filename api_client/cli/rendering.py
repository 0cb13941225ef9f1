"""How answers are shown: rich tables and detail views for people, bare JSON for scripts."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any, TextIO

from rich.console import Console, Group, RenderableType
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from ..errors import BookingError
from .cells import cell, event_info, moment, seats
from .files import Outcome

Renderer = Callable[[dict[str, Any]], RenderableType]

# Output piped to a file or another program is not cut at rich's default 80 columns, so that
# ids and times stay whole on one line.
_PIPED_WIDTH = 160


class Output:
    """Prints responses and errors in the mode the command line asked for."""

    def __init__(self, *, as_json: bool) -> None:
        self.as_json = as_json
        self.stdout = _console(sys.stdout)
        self.stderr = _console(sys.stderr)

    def response(self, response: dict[str, Any], render: Renderer) -> None:
        """A result: as JSON, or drawn by `render`."""
        if self.as_json:
            self.json(response)
        else:
            self.stdout.print(render(response))

    def json(self, value: Any) -> None:
        print(json.dumps(value, indent=2, ensure_ascii=False), file=sys.stdout)

    def error(self, error: BookingError) -> None:
        """A refusal: Timekit's error shape on stdout, or a report on stderr."""
        if self.as_json:
            self.json(error.to_result())
        else:
            self.stderr.print(error_report(error))

    def problem(self, message: str) -> None:
        """Trouble with the command's own input (not the service's answer): always stderr."""
        self.stderr.print(Text(f"bookings: {message}", style="red"))

    def progress(self) -> Progress:
        """A progress bar on stderr; none at all in JSON mode."""
        return Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.stderr,
            disable=self.as_json,
        )


def _console(stream: TextIO) -> Console:
    piped = not stream.isatty() and "COLUMNS" not in os.environ
    return Console(file=stream, width=_PIPED_WIDTH if piped else None, highlight=False)


# Lists: classes, created bookings, an import's outcomes, refusals --------------------------------


def groups_table(response: dict[str, Any]) -> RenderableType:
    """`list`: the open classes, by start."""
    groups = response["data"]
    if not groups:
        return Text("No open classes.")
    table = Table(caption=f"{len(groups)} open class{'es' if len(groups) != 1 else ''}")
    for header in ("start", "what", "where", "seats taken/max", "id"):
        table.add_column(header, no_wrap=header in ("start", "id"))
    for group in groups:
        event = event_info(group)
        table.add_row(
            cell(moment(event.get("start"), event.get("timezone"))),
            cell(event.get("what")),
            cell(event.get("where")),
            cell(seats(group)),
            cell(group["id"]),
        )
    return table


def created_table(response: dict[str, Any]) -> RenderableType:
    """`create` of one body: the booking, or every class of the series."""
    data = response["data"]
    if "series_id" in data and "bookings" in data:
        return bookings_table(data["bookings"], title=f"Series {data['series_id']}")
    return bookings_table([data])


def bookings_table(
    bookings: list[dict[str, Any]], *, numbers: list[int] | None = None, title: str | None = None
) -> Table:
    """id / what / start / seats / state, with each row's item number in an import."""
    table = Table(title=title)
    headers = ("id", "what", "start", "seats", "state")
    for header in ("#", *headers) if numbers is not None else headers:
        table.add_column(header, no_wrap=header in ("id", "start"))
    for index, booking in enumerate(bookings):
        event = event_info(booking)
        row = [
            cell(booking["id"]),
            cell(event.get("what")),
            cell(moment(event.get("start"), event.get("timezone"))),
            cell(seats(booking)),
            cell(booking.get("state")),
        ]
        table.add_row(*([cell(numbers[index])] if numbers is not None else []), *row)
    return table


def import_table(outcomes: list[Outcome]) -> Table:
    """The bookings an import created, each beside the number of its item in the file."""
    bookings: list[dict[str, Any]] = []
    numbers: list[int] = []
    for outcome in outcomes:
        if outcome.response is None:
            continue
        data = outcome.response["data"]
        created = data.get("bookings", [data])
        bookings.extend(created)
        numbers.extend([outcome.number] * len(created))
    imported = sum(outcome.error is None for outcome in outcomes)
    table = bookings_table(bookings, numbers=numbers)
    table.caption = f"{imported} of {len(outcomes)} items imported"
    return table


def failures_table(outcomes: list[Outcome]) -> Table:
    """Each refused item: its number, status and every field's messages."""
    failed = [outcome for outcome in outcomes if outcome.error is not None]
    table = Table(title=f"{len(failed)} of {len(outcomes)} items failed", title_justify="left")
    for header in ("#", "status", "field", "message"):
        table.add_column(header)
    for outcome in failed:
        assert outcome.error is not None
        number, status = outcome.number, outcome.error.status
        for field, message in error_messages(outcome.error):
            table.add_row(cell(number), cell(status), cell(field), cell(message))
    return table


def error_report(error: BookingError) -> RenderableType:
    """A refusal on its own: the status, then one line per field and message."""
    lines = [Text(f"{type(error).__name__} ({error.status})", style="bold red")]
    for field, message in error_messages(error):
        lines.append(Text(f"  {field}: {message}" if field else f"  {message}"))
    return Group(*lines)


def error_messages(error: BookingError) -> list[tuple[str, str]]:
    """(field, message) pairs; the field is '' for an error about the request as a whole."""
    if not error.errors:
        return [("", error.message)]
    return [(field, message) for field, messages in error.errors.items() for message in messages]
