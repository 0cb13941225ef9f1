"""Fixtures shared by the integration tests: real Redis, real databases, real workers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import redis

from api_client import BookingClient
from harness.databases import fresh_database
from harness.redis_databases import redis_url
from harness.workers import Deployment, running_workers

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from worker.handlers import HandlerDeps

BACKENDS = os.environ.get("BOOKINGS_TEST_BACKENDS", "postgresql,sqlite").split(",")


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bookings")


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def deployment(backend: str, workdir: Path) -> Iterator[Deployment]:
    """One worker instance with two pool processes, on `backend`, for the whole session."""
    with (
        fresh_database(backend, workdir) as database_url,
        running_workers(redis_url(f"deployment-{backend}"), database_url, workdir) as running,
    ):
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, launched for the module whose tests ask for it (a second or
    so) and closed after it, rather than kept open through every later module of the session."""
    from harness.browsers import headless_chromium

    with headless_chromium() as chromium:
        yield chromium


@pytest.fixture
def client(deployment: Deployment) -> Iterator[BookingClient]:
    with deployment.client() as booking_client:
        yield booking_client


@pytest.fixture(scope="session")
def handler_redis() -> redis.Redis:
    connection = redis.Redis.from_url(redis_url("handlers"))
    connection.flushdb()
    return connection


@pytest.fixture(scope="session")
def handler_database(backend: str, workdir: Path) -> Iterator[str]:
    """A migrated database for tests that call the handlers in-process (no worker)."""
    from worker.config import Settings
    from worker.storage.engine import engine_for
    from worker.storage.migrate import upgrade_to_head

    with fresh_database(backend, workdir) as database_url:
        engine = engine_for(Settings(database_url=database_url))
        upgrade_to_head(engine)
        yield database_url
        engine.dispose()


@pytest.fixture
def handler_deps(handler_database: str, handler_redis: redis.Redis) -> HandlerDeps:
    from worker.config import Settings
    from worker.handlers import HandlerDeps
    from worker.locks import ClassLocks
    from worker.storage.engine import engine_for
    from worker.storage.unit_of_work import UnitOfWork

    engine = engine_for(Settings(database_url=handler_database))
    return HandlerDeps(
        unit_of_work=lambda: UnitOfWork(engine),
        read_only=lambda: UnitOfWork(engine, read_only=True),
        locks=ClassLocks(handler_redis, ttl_s=10, wait_s=2),
    )
