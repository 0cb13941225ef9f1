"""The figures a worker and the gateway export to Prometheus, scraped after real commands."""

from __future__ import annotations

import base64
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, func, select

from api_client import ConflictError, NotFoundError
from harness.bodies import class_body, seat_body
from harness.databases import fresh_database
from harness.gateways import running_gateway
from harness.processes import HOST, REPO_ROOT, free_port, service_env
from harness.redis_databases import redis_url
from harness.waiting import eventually
from harness.workers import Deployment, running_workers
from worker.storage.tables import outbox

pytestmark = pytest.mark.integration

API_KEY = "live_api_key_metrics_tests_owner"
# The webhook's receiver is a port nobody listens on: every send fails. The retry comes no
# sooner than half the base (500 s), long after the module is done, so each webhook
# notification stays pending after exactly one failed attempt.
NOTIFY_AN_ABSENT_WEBHOOK = {
    "BOOKINGS_NOTIFICATION_CHANNELS": "log,webhook",
    "BOOKINGS_WEBHOOK_SECRET": "s3cret",
    "BOOKINGS_DELIVERY_ATTEMPTS": "2",
    "BOOKINGS_DELIVERY_RETRY_BASE_S": "1000",
    "BOOKINGS_DELIVERY_RETRY_CAP_S": "1800",
    "BOOKINGS_VISIBILITY_TIMEOUT_S": "3600",
}

Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Scrape:
    """One scrape of /metrics: each sample's value by its name and labels."""

    samples: dict[tuple[str, Labels], float]

    def value(self, name: str, **labels: str) -> float:
        return self.samples.get((name, tuple(sorted(labels.items()))), 0.0)

    def by_label(self, name: str, label: str) -> dict[str, float]:
        """The samples of `name` summed by the value of one of their labels."""
        sums: dict[str, float] = {}
        for (sample, labels), value in self.samples.items():
            if sample == name and value:
                key = dict(labels)[label]
                sums[key] = sums.get(key, 0.0) + value
        return sums


def scrape(port: int) -> Scrape:
    text = httpx.get(f"http://{HOST}:{port}/metrics", timeout=10).text
    return Scrape(
        {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }
    )


@dataclass(frozen=True)
class Observed:
    deployment: Deployment
    metrics_port: int
    metrics_dir: Path


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Observed]:
    """One worker instance of two pool processes exporting its metrics, on PostgreSQL."""
    workdir = tmp_path_factory.mktemp("metrics")
    port = free_port()
    settings = {
        **NOTIFY_AN_ABSENT_WEBHOOK,
        "BOOKINGS_WEBHOOK_URL": f"http://{HOST}:{free_port()}/hooks/bookings",
        "BOOKINGS_METRICS_PORT": str(port),
        "BOOKINGS_METRICS_DIR": str(workdir / "figures"),
    }
    with (
        fresh_database("postgresql", workdir) as database_url,
        running_workers(redis_url("metrics"), database_url, workdir, settings=settings) as running,
    ):
        yield Observed(running, port, workdir / "figures")


@pytest.fixture(scope="module")
def commands_sent(observed: Observed) -> dict[str, str]:
    """A class of two seats; both booked; one seat more refused (409); the booking sent again
    under its key (replayed); the class read, and a booking that does not exist (404)."""
    with observed.deployment.client() as client:
        klass = client.create_booking(class_body(max_seats=2))["data"]
        key = str(uuid.uuid4())
        client.create_booking(seat_body(klass["id"], seats=2), idempotency_key=key)
        with pytest.raises(ConflictError):
            client.create_booking(seat_body(klass["id"], name="Biff Tannen"))
        client.create_booking(seat_body(klass["id"], seats=2), idempotency_key=key)
        client.get_booking(klass["id"])
        with pytest.raises(NotFoundError):
            client.get_booking(str(uuid.uuid4()))
    return {"class_id": klass["id"]}


def outbox_rows_by_channel(database_url: str) -> dict[str, int]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            query = select(outbox.c.channel, func.count()).group_by(outbox.c.channel)
            return {channel: count for channel, count in connection.execute(query).all()}
    finally:
        engine.dispose()


def test_the_worker_counts_each_command_by_its_outcome(
    observed: Observed, commands_sent: dict[str, str]
) -> None:
    figures = scrape(observed.metrics_port)

    assert figures.by_label("bookings_commands_total", "outcome") == {
        "applied": 2,
        "refused_409": 1,
        "replayed": 1,
        "read": 1,
        "refused_404": 1,
    }
    assert figures.value("bookings_commands_total", command="create_class", outcome="applied") == 1
    assert figures.value("bookings_commands_total", command="book_seats", outcome="applied") == 1
    assert (
        figures.value("bookings_commands_total", command="book_seats", outcome="refused_409") == 1
    )
    assert figures.value("bookings_commands_total", command="book_seats", outcome="replayed") == 1


def test_the_worker_times_each_lock_and_each_transaction(
    observed: Observed, commands_sent: dict[str, str]
) -> None:
    figures = scrape(observed.metrics_port)

    # Three seat bookings took their class's lock (the class itself locks nothing), each
    # holding it for a time: applied, refused and replayed.
    assert figures.value("bookings_lock_wait_seconds_count") == 3
    assert figures.value("bookings_lock_hold_seconds_count") == 3
    assert figures.value("bookings_lock_hold_seconds_sum") > 0
    # Four commands in four tasks of one command each (the reads run no command).
    assert figures.value("bookings_commands_per_task_count") == 4
    assert figures.value("bookings_commands_per_task_bucket", le="1.0") == 4
    # Seat bookings are applied in batches (worker/batching.py), a savepoint each: the refusal
    # and the replay rolled back their own savepoints, and each batch's transaction committed
    # (the refusal recorded under its key), as did the class's own.
    assert figures.value("bookings_transaction_seconds_count", kind="write", ended="commit") >= 4
    assert figures.value("bookings_transaction_seconds_count", kind="read", ended="rollback") >= 2


def test_the_worker_counts_deliveries_by_channel_and_shows_the_backlog(
    observed: Observed, commands_sent: dict[str, str]
) -> None:
    staged = outbox_rows_by_channel(observed.deployment.database_url)
    assert staged["webhook"] == staged["log"] > 0

    # Each webhook notification fails once, in a task of its own, and waits for its retry.
    def once_every_webhook_failed() -> Scrape | None:
        figures = scrape(observed.metrics_port)
        failed = figures.value("bookings_deliveries_total", channel="webhook", outcome="retrying")
        return figures if failed == staged["webhook"] else None

    figures = eventually(once_every_webhook_failed)

    assert figures.by_label("bookings_deliveries_total", "outcome") == {
        "delivered": staged["log"],
        "retrying": staged["webhook"],
    }
    assert figures.value("bookings_outbox_backlog", channel="webhook") == staged["webhook"]
    # Log lines are written at once and marked delivered in a batch soon after.
    eventually(
        lambda: scrape(observed.metrics_port).value("bookings_outbox_backlog", channel="log") == 0
    )


def test_the_pool_writes_its_figures_in_the_directory_of_its_port(
    observed: Observed, commands_sent: dict[str, str]
) -> None:
    written = list((observed.metrics_dir / f"worker-{observed.metrics_port}").glob("*.db"))

    assert written
    assert [path.name for path in observed.metrics_dir.iterdir()] == [
        f"worker-{observed.metrics_port}"
    ]


def basic(key: str) -> str:
    return "Basic " + base64.b64encode(f":{key}".encode()).decode()


def test_the_gateway_counts_requests_by_route_template_and_status(
    observed: Observed, commands_sent: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    with running_gateway(
        observed.deployment.redis_url,
        API_KEY,
        tmp_path,
        settings={"BOOKINGS_METRICS_PORT": str(port)},
    ) as gateway:
        auth = {"Authorization": basic(API_KEY)}
        with httpx.Client(base_url=gateway.base_url, timeout=30) as http:
            assert http.get(f"/v2/bookings/{commands_sent['class_id']}", headers=auth).is_success
            assert http.get(f"/v2/bookings/{uuid.uuid4()}", headers=auth).status_code == 404
            assert http.get(f"/v2/bookings/{uuid.uuid4()}").status_code == 401
            assert http.get("/v2/nowhere", headers=auth).status_code == 404

        figures = scrape(port)

    read = {"method": "GET", "route": "/v2/bookings/{booking_id}"}
    assert figures.value("bookings_gateway_requests_total", **read, status="200") == 1
    assert figures.value("bookings_gateway_requests_total", **read, status="404") == 1
    assert figures.value("bookings_gateway_requests_total", **read, status="401") == 1
    assert (
        figures.value(
            "bookings_gateway_requests_total", method="GET", route="unmatched", status="404"
        )
        == 1
    )
    assert figures.value("bookings_gateway_request_seconds_count", **read) == 3


def test_without_a_metrics_port_neither_worker_nor_gateway_imports_prometheus_client() -> None:
    check = (
        "import sys, worker, gateway.app; worker.app; from worker.handlers import CommandRunner; "
        "print('prometheus_client' in sys.modules)"
    )
    answer = subprocess.run(
        [sys.executable, "-c", check],
        cwd=REPO_ROOT,
        env=service_env({}),
        capture_output=True,
        check=True,
    )

    assert answer.stdout.strip() == b"False"
