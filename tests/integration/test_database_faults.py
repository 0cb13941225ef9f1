"""Database connections killed under a worker: the command is retried and applied once."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api_client import BookingClient
from harness.bodies import class_body, seat_body
from harness.workers import Deployment
from tests.support.invariants import seat_accounts

pytestmark = pytest.mark.integration


def terminate_connections_to(database_url: str) -> int:
    """pg_terminate_backend on every other connection to the database: what a failover does."""
    name = make_url(database_url).database
    engine = create_engine(database_url)
    with engine.connect() as conn:
        killed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        ).scalar_one()
    engine.dispose()
    return int(killed)


def test_bookings_go_through_after_the_workers_database_connections_were_killed(
    backend: str, deployment: Deployment, client: BookingClient
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has no server connections to kill")
    # Given workers whose pooled connections are open
    klass = client.create_booking(class_body(max_seats=10))["data"]
    client.create_booking(seat_body(klass["id"]))

    # When PostgreSQL terminates all of them
    assert terminate_connections_to(deployment.database_url) >= 1

    # Then the next commands fail on their dead connections, retry on fresh ones, apply once
    results = [client.create_booking(seat_body(klass["id"], seats=2)) for _ in range(3)]
    assert all(result["data"]["state"] == "confirmed" for result in results)
    [account] = seat_accounts(deployment.database_url, [klass["id"]])
    assert account.holds and account.current_seats == 7
