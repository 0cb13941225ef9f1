"""Deployments the concurrency tests share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness.databases import fresh_database
from harness.redis_databases import redis_url
from harness.workers import Deployment, running_workers


@contextmanager
def two_workers(
    backend: str, workdir: Path, redis_user: str, settings: dict[str, str]
) -> Iterator[Deployment]:
    """Two worker instances (as on two machines) of two processes each, sharing one database."""
    with (
        fresh_database(backend, workdir) as database_url,
        running_workers(
            redis_url(redis_user),
            database_url,
            workdir,
            workers=2,
            concurrency=2,
            settings=settings,
        ) as deployment,
    ):
        yield deployment
