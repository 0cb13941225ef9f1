"""`bookings feed`: issue and revoke the tokens of calendar feeds."""

from __future__ import annotations

import argparse
from typing import Any

from ..client import BookingClient
from .rendering import Output

EXIT_OK = 0


def feed(client: BookingClient, args: argparse.Namespace, output: Output) -> int:
    if args.feed_command == "issue":
        response = client.issue_feed_token(
            calendar_id=args.calendar_id, customer_email=args.customer
        )
        output.response(response, _issued)
    else:
        output.response(client.revoke_feed_token(args.token_id), _revoked)
    return EXIT_OK


def _issued(response: dict[str, Any]) -> str:
    data = response["data"]
    whose = f"calendar {data['calendar_id']}" if data["calendar_id"] else data["customer_email"]
    return "\n".join(
        [
            f"Feed token {data['id']} for {whose}",
            f"Token: {data['token']} (shown this once; only its digest is kept)",
            f"Feed: <gateway>{data['feed_path']}",
            f"Revoke with: bookings feed revoke {data['id']}",
        ]
    )


def _revoked(response: dict[str, Any]) -> str:
    data = response["data"]
    return f"Feed token {data['id']} revoked at {data['revoked_at']}"


def add_feed(commands: Any, shared: argparse.ArgumentParser) -> None:
    """`feed issue (CALENDAR_ID | --customer EMAIL)` and `feed revoke TOKEN_ID`."""
    parser = commands.add_parser(
        "feed", parents=[shared], help="issue or revoke a calendar feed's token"
    )
    actions = parser.add_subparsers(dest="feed_command", required=True, metavar="ACTION")
    issue = actions.add_parser(
        "issue",
        parents=[shared],
        help="a token for a calendar's classes, or a customer's confirmed seats",
    )
    whose = issue.add_mutually_exclusive_group(required=True)
    whose.add_argument("calendar_id", metavar="CALENDAR_ID", nargs="?")
    whose.add_argument("--customer", metavar="EMAIL", help="the customer's e-mail address")
    revoke = actions.add_parser("revoke", parents=[shared], help="stop a token opening its feed")
    revoke.add_argument("token_id", metavar="TOKEN_ID")
