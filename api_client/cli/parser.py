"""The command line of `bookings`: global options and one subparser per subcommand."""

from __future__ import annotations

import argparse
from typing import TypeAlias

from ..client import DEFAULT_REDIS_URL

DEFAULT_TIMEOUT_S = 30.0
INCLUDES = "attributes,related_bookings,logs,notifications"

_DESCRIPTION = "Create, list, show and cancel group bookings (classes and their seats)."
_CREATE_HELP = (
    "FILE holds one Timekit body (a JSON object) or a list of them (a JSON array, imported "
    "with a progress bar); a body with a 'recurrence' key creates a series. '-' reads stdin."
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bookings", description=_DESCRIPTION)
    _add_global_options(parser, suppress=False)
    # The same options after the subcommand (`bookings list --json`); SUPPRESS keeps a
    # subcommand that does not repeat them from resetting what was given before it.
    shared = argparse.ArgumentParser(add_help=False)
    _add_global_options(shared, suppress=True)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_create(commands, shared)
    _add_list(commands, shared)
    _add_show(commands, shared)
    _add_cancel(commands, shared)
    _add_cancel_series(commands, shared)
    return parser


def _add_global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    def default(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    parser.add_argument(
        "--redis-url",
        default=default(None),
        help=f"Redis of the workers (default: $BOOKINGS_REDIS_URL, else {DEFAULT_REDIS_URL})",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=default(DEFAULT_TIMEOUT_S),
        metavar="SECONDS",
        help=f"how long to wait for each answer (default: {DEFAULT_TIMEOUT_S:g})",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        default=default(False),
        help="print the raw responses as JSON on stdout, errors too (for scripts)",
    )


# argparse gives the type of add_subparsers() no public name.
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _add_create(commands: Subcommands, shared: argparse.ArgumentParser) -> None:
    create = commands.add_parser(
        "create", parents=[shared], help="create a class, a series or an import from a file"
    )
    create.description = _CREATE_HELP
    create.add_argument("file", metavar="FILE", help="a JSON file, or - for stdin")
    create.add_argument(
        "--idempotency-key",
        metavar="K",
        help="your key for the command; in a list, item n (from 1) is sent as K-n",
    )


def _add_list(commands: Subcommands, shared: argparse.ArgumentParser) -> None:
    listing = commands.add_parser("list", parents=[shared], help="list open classes")
    listing.add_argument("--start", metavar="ISO", help="classes ending after this moment")
    listing.add_argument("--end", metavar="ISO", help="classes starting before this moment")
    listing.add_argument("--series", metavar="ID", help="only the classes of this series")


def _add_show(commands: Subcommands, shared: argparse.ArgumentParser) -> None:
    show = commands.add_parser("show", parents=[shared], help="show one booking")
    show.add_argument("booking_id", metavar="ID")
    show.add_argument(
        "--include", default="", metavar="LIST", help=f"comma-separated, any of: {INCLUDES}"
    )


def _add_cancel(commands: Subcommands, shared: argparse.ArgumentParser) -> None:
    cancel = commands.add_parser("cancel", parents=[shared], help="cancel a class or a seat")
    cancel.add_argument("booking_id", metavar="ID")
    cancel.add_argument("--message", metavar="M", help="told to everyone the cancel concerns")
    cancel.add_argument(
        "--as",
        dest="as_",
        choices=("owner", "customer", "class"),
        default="class",
        help="class: the owner cancels a class (default); owner: the owner cancels a seat "
        "booking; customer: the customer cancels their seat booking",
    )


def _add_cancel_series(commands: Subcommands, shared: argparse.ArgumentParser) -> None:
    series = commands.add_parser(
        "cancel-series", parents=[shared], help="cancel the open classes of a series"
    )
    series.add_argument("series_id", metavar="SERIES_ID")
    series.add_argument("--message", metavar="M", help="told to every customer with a seat")
    series.add_argument(
        "--from", dest="from_", metavar="ISO", help="only classes starting at or after this"
    )


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds: {text!r}")
    return seconds
