"""The client's public names, and the import lines between client, worker and domain."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import api_client

PROJECT_ROOT = Path(__file__).resolve().parents[2]
INFRASTRUCTURE = ("celery", "kombu", "redis", "sqlalchemy")
DOMAIN_MODULES = ("graphs", "windows", "seats", "transitions", "notifications", "recurrence")


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    """`code` in a fresh interpreter, so that nothing this test run imported hides a leak."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_public_names_of_the_client_are_pinned() -> None:
    assert api_client.__all__ == [
        "BookingClient",
        "BookingError",
        "BusyError",
        "ConflictError",
        "InvalidRequestError",
        "NotFoundError",
        "PendingResult",
        "ResultTimeoutError",
        "WorkerFailureError",
    ]


@pytest.mark.parametrize("name", api_client.__all__)
def test_every_public_name_can_be_imported_from_the_client(name: str) -> None:
    assert getattr(api_client, name).__name__ == name


def test_importing_the_client_does_not_import_the_worker() -> None:
    outcome = run_python(
        """
        import sys
        import api_client
        leaked = [m for m in sys.modules if m == "worker" or m.startswith("worker.")]
        assert not leaked, leaked
        """
    )

    assert outcome.returncode == 0, outcome.stderr


def test_importing_the_domain_does_not_import_celery_redis_or_sqlalchemy() -> None:
    outcome = run_python(
        f"""
        import sys
        import {", ".join(f"worker.domain.{name}" for name in DOMAIN_MODULES)}
        leaked = sorted({{m.split(".")[0] for m in sys.modules}} & set({INFRASTRUCTURE!r}))
        assert not leaked, leaked
        """
    )

    assert outcome.returncode == 0, outcome.stderr
