"""`bookings`: parse the command line, call the client, print the answer; main() is the entry."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

from ..client import DEFAULT_REDIS_URL, BookingClient
from ..errors import BookingError
from .cells import chosen_zone, zone_option
from .detail import booking_detail, waitlist_view
from .feeds import add_feed, feed
from .files import Body, BodyFileError, import_bodies, is_series, load_bodies
from .rendering import Output, created_table, failures_table, groups_table, import_table
from .running import add_running, check_in, roster

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
DEFAULT_TIMEOUT_S = 30.0
INCLUDES = "attributes,related_bookings,logs,notifications,waitlist,attendance,cancel_policy"

_DESCRIPTION = (
    "Create, list, show, cancel and move group bookings (classes and their seats), change a "
    "class's seats and see who waits for one."
)
_CREATE_HELP = (
    "FILE holds one Timekit body (a JSON object) or a list of them (a JSON array, imported "
    "with a progress bar); a body with a 'recurrence' key creates a series. '-' reads stdin."
)

Command = Callable[[BookingClient, argparse.Namespace, Output], int]
# (redis_url or None for $BOOKINGS_REDIS_URL / the default, timeout_s) -> a client. Tests hand
# main() a factory of a BookingClient subclass, so their stand-in is checked against the real one.
ClientFactory = Callable[[str | None, float], BookingClient]


def connect(redis_url: str | None, timeout_s: float) -> BookingClient:
    """The real client, over Redis."""
    return BookingClient(redis_url, timeout_s=timeout_s)


def main(argv: Sequence[str] | None = None, *, client_factory: ClientFactory = connect) -> int:
    """Run one command; 0 on success, 1 if the service refused anything, 2 for bad input."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # --help, or a usage error argparse has already printed
        return int(exit_.code or 0)
    output = Output(as_json=args.json)
    chosen_zone.set(args.tz)
    if args.command == "create":
        # The file is read before connecting, so that a typo costs no round trip.
        try:
            args.bodies = load_bodies(args.file)
        except BodyFileError as error:
            output.problem(str(error))
            return EXIT_USAGE
    client = client_factory(args.redis_url, args.timeout)
    try:
        return _COMMANDS[args.command](client, args, output)
    except BookingError as error:
        output.error(error)
        return EXIT_REFUSED
    finally:
        client.close()


def create(client: BookingClient, args: argparse.Namespace, output: Output) -> int:
    bodies: Body | list[Body] = args.bodies
    if isinstance(bodies, list):
        return _import(client, bodies, args.idempotency_key, output)
    make = client.create_recurring if is_series(bodies) else client.create_booking
    output.response(make(bodies, args.idempotency_key), created_table)
    return EXIT_OK


def _import(client: BookingClient, bodies: list[Body], key: str | None, output: Output) -> int:
    with output.progress() as progress:
        task = progress.add_task(f"Importing {len(bodies)} items", total=len(bodies))
        outcomes = import_bodies(client, bodies, key, lambda: progress.advance(task))
    failed = any(outcome.error is not None for outcome in outcomes)
    if output.as_json:
        output.json([outcome.as_json() for outcome in outcomes])
    else:
        output.stdout.print(import_table(outcomes))
        if failed:
            output.stderr.print(failures_table(outcomes))
    return EXIT_REFUSED if failed else EXIT_OK


def list_groups(client: BookingClient, args: argparse.Namespace, output: Output) -> int:
    response = client.list_groups(
        start=args.start,
        end=args.end,
        series_id=args.series,
        search=args.search,
        available=args.available,
    )
    output.response(response, groups_table)
    return EXIT_OK


def show(client: BookingClient, args: argparse.Namespace, output: Output) -> int:
    output.response(client.get_booking(args.booking_id, include=args.include), booking_detail)
    return EXIT_OK


def cancel(client: BookingClient, args: argparse.Namespace, output: Output) -> int:
    by_whom = {
        "class": client.cancel,
        "owner": client.cancel_by_owner,
        "customer": client.cancel_by_customer,
    }
    output.response(by_whom[args.as_](args.booking_id, args.message), booking_detail)
    return EXIT_OK


def waitlist(client: BookingClient, args: argparse.Namespace, output: Output) -> int:
    response = client.get_booking(args.class_id, include="attributes,waitlist")
    output.response(response, waitlist_view)
    return EXIT_OK


def move(client: BookingClient, args: argparse.Namespace, output: Output) -> int:
    output.response(client.move(args.booking_id, args.to, args.message), booking_detail)
    return EXIT_OK


def set_max_seats(client: BookingClient, args: argparse.Namespace, output: Output) -> int:
    response = client.set_max_seats(args.class_id, args.max_seats, args.message)
    output.response(response, booking_detail)
    return EXIT_OK


def cancel_series(client: BookingClient, args: argparse.Namespace, output: Output) -> int:
    response = client.cancel_series(args.series_id, args.message, args.from_)
    output.response(response, _cancelled_series)
    return EXIT_OK


def _cancelled_series(response: dict[str, Any]) -> str:
    data = response["data"]
    cancelled = data["cancelled"]
    lines = [f"Cancelled {len(cancelled)} classes of series {data['series_id']}"]
    return "\n".join([*lines, *(f"  {class_id}" for class_id in cancelled)])


_COMMANDS: dict[str, Command] = {
    "create": create,
    "list": list_groups,
    "show": show,
    "cancel": cancel,
    "cancel-series": cancel_series,
    "waitlist": waitlist,
    "move": move,
    "set-max-seats": set_max_seats,
    "check-in": check_in,
    "roster": roster,
    "feed": feed,
}


# The command line --------------------------------------------------------------------------------


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
    _add_waitlist(commands, shared)
    _add_move(commands, shared)
    _add_set_max_seats(commands, shared)
    add_running(commands, shared)
    add_feed(commands, shared)
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
    parser.add_argument(
        "--tz",
        type=zone_option,
        default=default(None),
        metavar="ZONE",
        help="show times in this IANA zone, such as Europe/Oslo (default: each class's zone, "
        "else UTC)",
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
    listing.add_argument(
        "--search",
        metavar="TERMS",
        help="Timekit's search: project.id:<id>;resource.id:<id>;calendar_id:<id>",
    )
    listing.add_argument(
        "--available", action="store_true", help="only classes with a seat free (not full ones)"
    )


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


def _add_waitlist(commands: Subcommands, shared: argparse.ArgumentParser) -> None:
    line = commands.add_parser(
        "waitlist", parents=[shared], help="show who waits for a class, and open offers"
    )
    line.add_argument("class_id", metavar="CLASS_ID")


def _add_move(commands: Subcommands, shared: argparse.ArgumentParser) -> None:
    move = commands.add_parser(
        "move", parents=[shared], help="move a confirmed seat booking to another class"
    )
    move.add_argument("booking_id", metavar="BOOKING_ID")
    move.add_argument("--to", required=True, metavar="CLASS_ID", help="the class moved to")
    move.add_argument("--message", metavar="M", help="told to the customer and both owners")


def _add_set_max_seats(commands: Subcommands, shared: argparse.ArgumentParser) -> None:
    capacity = commands.add_parser(
        "set-max-seats",
        parents=[shared],
        help="raise (the waitlist moves up) or lower a class's seats",
    )
    capacity.add_argument("class_id", metavar="CLASS_ID")
    capacity.add_argument("max_seats", metavar="N", type=int, help="the class's seats from now")
    capacity.add_argument("--message", metavar="M", help="why, for the class's log")


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds: {text!r}")
    return seconds
