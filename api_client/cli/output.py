"""Where and how results go: rich tables for people, bare JSON on stdout for scripts."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any, TextIO

from rich.console import Console, RenderableType
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from ..errors import BookingError
from .tables import error_report

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
