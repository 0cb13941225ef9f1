"""`bookings`: parse the command line, call the client, print the answer; main() is the entry."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import BookingError
from .body_files import Body, BodyFileError, is_series, load_bodies
from .client_protocol import ClientFactory, CommandClient, connect
from .detail import booking_detail
from .imports import import_bodies
from .output import Output
from .parser import build_parser
from .tables import created_table, failures_table, groups_table, import_table

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2

Command = Callable[[CommandClient, argparse.Namespace, Output], int]


def main(argv: Sequence[str] | None = None, *, client_factory: ClientFactory = connect) -> int:
    """Run one command; 0 on success, 1 if the service refused anything, 2 for bad input."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # --help, or a usage error argparse has already printed
        return int(exit_.code or 0)
    output = Output(as_json=args.json)
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


def create(client: CommandClient, args: argparse.Namespace, output: Output) -> int:
    bodies: Body | list[Body] = args.bodies
    if isinstance(bodies, list):
        return _import(client, bodies, args.idempotency_key, output)
    make = client.create_recurring if is_series(bodies) else client.create_booking
    output.response(make(bodies, args.idempotency_key), created_table)
    return EXIT_OK


def _import(client: CommandClient, bodies: list[Body], key: str | None, output: Output) -> int:
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


def list_groups(client: CommandClient, args: argparse.Namespace, output: Output) -> int:
    response = client.list_groups(start=args.start, end=args.end, series_id=args.series)
    output.response(response, groups_table)
    return EXIT_OK


def show(client: CommandClient, args: argparse.Namespace, output: Output) -> int:
    output.response(client.get_booking(args.booking_id, include=args.include), booking_detail)
    return EXIT_OK


def cancel(client: CommandClient, args: argparse.Namespace, output: Output) -> int:
    by_whom = {
        "class": client.cancel,
        "owner": client.cancel_by_owner,
        "customer": client.cancel_by_customer,
    }
    output.response(by_whom[args.as_](args.booking_id, args.message), booking_detail)
    return EXIT_OK


def cancel_series(client: CommandClient, args: argparse.Namespace, output: Output) -> int:
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
}
