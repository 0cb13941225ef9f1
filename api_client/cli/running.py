"""`bookings check-in` and `bookings roster`: running a class from the command line."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from rich.table import Table

from ..client import BookingClient
from ..roster import COLUMNS, roster_csv
from .detail import booking_detail
from .rendering import Output

if TYPE_CHECKING:
    from .commands import Subcommands

EXIT_OK = 0


def check_in(client: BookingClient, args: argparse.Namespace, output: Output) -> int:
    output.response(client.check_in(args.booking_id, args.message), booking_detail)
    return EXIT_OK


def roster(client: BookingClient, args: argparse.Namespace, output: Output) -> int:
    response = client.roster(args.class_id)
    if args.csv:
        # UTF-8 whatever the terminal's locale: the file goes to a spreadsheet, not a screen.
        sys.stdout.buffer.write(roster_csv(response["data"]).encode("utf-8"))
        sys.stdout.flush()
        return EXIT_OK
    output.response(response, roster_table)
    return EXIT_OK


def roster_table(response: dict[str, Any]) -> Table:
    """`roster`: one row per seat booking, by name."""
    entries = response["data"]
    table = Table(title=f"{len(entries)} on the roster", title_justify="left")
    for title, _ in COLUMNS:
        table.add_column(title)
    for entry in entries:
        table.add_row(*("" if entry.get(key) is None else str(entry[key]) for _, key in COLUMNS))
    return table


def add_running(commands: Subcommands, shared: argparse.ArgumentParser) -> None:
    checking = commands.add_parser(
        "check-in",
        parents=[shared],
        help="check a confirmed seat booking in (a class that tracks attendance)",
    )
    checking.add_argument("booking_id", metavar="ID")
    checking.add_argument("--message", metavar="M", help="for the booking's log")
    listing = commands.add_parser(
        "roster", parents=[shared], help="a class's roster: who booked, seats, state, check-in"
    )
    listing.add_argument("class_id", metavar="CLASS_ID")
    listing.add_argument(
        "--csv", action="store_true", help="print it as CSV (UTF-8, with a header row)"
    )
