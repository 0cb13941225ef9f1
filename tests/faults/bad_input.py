"""Bad input at volume: generated requests through the client and the gateway, each answered with
a success or a 4xx, no refusal writing anything, and every notification of an accepted one
delivered on the log, a webhook and e-mail, to exactly its recipients.

    python -m tests.faults.bad_input --count 5000 [--seed N] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine

from api_client import BookingClient
from harness.bodies import class_body
from harness.databases import fresh_database
from harness.gateways import GatewayServer, running_gateway
from harness.receivers import Mailbox, smtp_server, webhook_receiver
from harness.redis_servers import own_redis
from harness.workers import running_workers
from tests.faults.bad_input_deliveries import delivery_problems
from tests.faults.bad_input_paths import Outcome, Sender, connected_senders
from tests.faults.bad_input_report import BadInputReport, database_fingerprint
from tests.faults.bad_requests import (
    ActionRequest,
    BadRequest,
    KnownIds,
    bad_requests,
    resolved,
)

API_KEY = "bad-input-drill-key"
ATTENDANCE: dict[str, Any] = {"track_attendance": True, "late_cancel": "allow"}


class Probe:
    """Sends each request down every path in turn, reading the database after each answer."""

    def __init__(self, senders: dict[str, Sender], engine: Engine, report: BadInputReport):
        self.senders, self.engine, self.report = senders, engine, report
        self.known_ids = KnownIds()
        self.last = database_fingerprint(engine)

    def send(self, request: BadRequest) -> None:
        request = resolved(request, self.known_ids)
        for path, sender in self.senders.items():
            outcome = sender(request)
            # Sent one at a time with nothing else writing, so any change is this request's.
            after = database_fingerprint(self.engine)
            self.report.record(path, request, outcome, self.last, after)
            self.last = after
            if outcome.kind == "success":
                self._learn(request, outcome)

    def _learn(self, request: BadRequest, outcome: Outcome) -> None:
        """The bookings a success created, and the class each seat booking is now in."""
        known = self.known_ids
        if isinstance(request, ActionRequest):
            if request.action == "move" and isinstance(request.params, dict):
                known.class_of[str(request.booking_id)] = str(request.params["owner_booking_id"])
            return
        if outcome.created_id is None:
            return
        known.bookings.append(outcome.created_id)
        if outcome.created_graph == "group_owner":
            known.classes.append(outcome.created_id)
        elif isinstance(request.body, dict):
            related = request.body.get("related") or {}
            if related.get("owner_booking_id") is not None:
                known.class_of[outcome.created_id] = str(related["owner_booking_id"])


def probe(
    senders: dict[str, Sender],
    database_url: str,
    requests: st.SearchStrategy[BadRequest],
    count: int,
    seed: int,
) -> BadInputReport:
    """`count` requests drawn from `requests` (reproducibly for `seed`) down every sender."""
    report = BadInputReport(count, seed)
    engine = create_engine(database_url, pool_pre_ping=True)
    started = time.monotonic()
    try:
        drive(requests, count, seed, Probe(senders, engine, report).send)
    finally:
        engine.dispose()
    report.elapsed_s = time.monotonic() - started
    return report


def drive(
    requests: st.SearchStrategy[BadRequest],
    count: int,
    seed: int,
    each: Callable[[BadRequest], None],
) -> None:
    """Calls `each` with `count` generated requests; generation only, nothing to shrink."""

    @hypothesis_seed(seed)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(requests)
    def run(request: BadRequest) -> None:
        each(request)

    run()


def target_classes(client: BookingClient, anchor: datetime) -> list[str]:
    """A roomy class, a class of two seats, two tiny classes with a line (one promoting, one
    offering for a second, so that offers lapse), a cancelled class, and a class that tracks
    attendance and takes late cancels (its check-in not open yet) for seat bodies to name."""
    roomy = client.create_booking(class_body(anchor, max_seats=100_000))["data"]["id"]
    tiny = client.create_booking(class_body(anchor, max_seats=2))["data"]["id"]
    modes: list[dict[str, Any]] = [{}, {"waitlist_promotion": "offer", "offer_time": "1 second"}]
    lines = [
        client.create_booking(class_body(anchor, max_seats=2, waitlist_size=6, **mode))["data"]
        for mode in modes
    ]
    cancelled = client.create_booking(class_body(anchor))["data"]["id"]
    client.cancel(cancelled, "Closed for the drill.")
    attendance = client.create_booking(class_body(anchor, **ATTENDANCE))["data"]["id"]
    return [roomy, tiny, *(line["id"] for line in lines), cancelled, attendance]


def run_bad_input(
    redis_url: str,
    database_url: str,
    gateway_base_url: str,
    api_key: str,
    count: int = 5_000,
    seed: int = 0,
    mailbox: Mailbox | None = None,
) -> BadInputReport:
    """`count` generated requests through the client and the same through the gateway; then
    whether every notification they staged was delivered (to exactly its recipients, when
    the `mailbox` the workers mail is given)."""
    started = datetime.now(UTC)
    anchor = (started + timedelta(days=30)).replace(minute=0, second=0, microsecond=0)
    with connected_senders(redis_url, gateway_base_url, api_key) as (client, senders):
        requests = bad_requests(target_classes(client, anchor), anchor)
        report = probe(senders, database_url, requests, count, seed)
    engine = create_engine(database_url, pool_pre_ping=True)
    try:
        report.delivery_problems = delivery_problems(engine, started, mailbox)
    finally:
        engine.dispose()
    return report


class BadInputTarget(NamedTuple):
    redis_url: str
    database_url: str
    gateway: GatewayServer
    mailbox: Mailbox


@contextmanager
def bad_input_deployment(workdir: Path, api_key: str = API_KEY) -> Iterator[BadInputTarget]:
    """A Redis of its own, a fresh PostgreSQL database, one worker notifying on every channel
    (to a real webhook receiver and SMTP server) and the gateway."""
    with (
        own_redis(workdir / "redis") as redis_server,
        fresh_database("postgresql", workdir) as database_url,
        webhook_receiver() as webhook,
        smtp_server() as mailbox,
    ):
        redis_url = redis_server.url(0)
        notifying = {
            "BOOKINGS_NOTIFICATION_CHANNELS": "log,webhook,email",
            "BOOKINGS_WEBHOOK_URL": webhook.url,
            "BOOKINGS_WEBHOOK_SECRET": webhook.secret,
            "BOOKINGS_SMTP_URL": mailbox.url,
            "BOOKINGS_DELIVERY_RETRY_BASE_S": "0.2",
            "BOOKINGS_DELIVERY_RETRY_CAP_S": "1",
        }
        with (
            running_workers(redis_url, database_url, workdir, settings=notifying),
            running_gateway(redis_url, api_key, workdir) as gateway,
        ):
            yield BadInputTarget(redis_url, database_url, gateway, mailbox)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.faults.bad_input", description=__doc__)
    parser.add_argument("--count", type=int, default=5_000, help="requests per path")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, help="where logs go (kept); a temporary one else")
    args = parser.parse_args(argv)
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="backslashreplace")  # bodies hold any character
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bad-input-"))
    workdir.mkdir(parents=True, exist_ok=True)
    with bad_input_deployment(workdir) as target:
        gateway = target.gateway
        report = run_bad_input(
            target.redis_url, target.database_url, gateway.base_url, gateway.api_key,
            args.count, args.seed, target.mailbox,
        )  # fmt: skip
        # Printed before the teardown, which may fail on its own without hiding the figures.
        print(report.render())
        problems = report.problems()
        for problem in problems:
            print(f"PROBLEM {problem}")
        print(f"worker and gateway logs: {workdir}" if problems else "no problems", flush=True)
    if not problems and args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
