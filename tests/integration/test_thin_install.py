"""`pip install group-bookings` without extras: the client alone imports, submits and answers."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from harness.bodies import class_body, in_days, seat_body
from harness.workers import Deployment

pytestmark = pytest.mark.integration

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# What the extras bring ([gateway], [cli], [worker], [monitor]); none of it may come with the
# client alone.
EXTRAS_ONLY = (
    "fastapi",
    "uvicorn",
    "rich",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "icalendar",
    "prometheus_client",
    "flower",
)
# What the Dockerfile copies: the distribution, without tests, harness or benchmarks.
SOURCES = ("pyproject.toml", "README.md", "api_client", "worker", "gateway")

# Run inside the thin environment: the Redis URL in argv[1], the two bodies on stdin.
SUBMITTER = """
    import importlib.util, json, sys
    from api_client import BookingClient

    bodies = json.load(sys.stdin)
    with BookingClient(sys.argv[1], timeout_s=60) as client:
        klass = client.create_booking(bodies["class"])["data"]
        bodies["seat"]["related"]["owner_booking_id"] = klass["id"]
        seat = client.create_booking(bodies["seat"], idempotency_key=bodies["key"])["data"]
    present = [name for name in bodies["extras_only"] if importlib.util.find_spec(name)]
    print(json.dumps({"class": klass, "seat": seat, "extras_present": present}))
"""


def run(*command: str | Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    outcome = subprocess.run(
        [str(part) for part in command],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert outcome.returncode == 0, f"{command}\n{outcome.stdout}\n{outcome.stderr}"
    return outcome


def thin_install(tmp_path: Path) -> Path:
    """The python of a fresh venv holding the project installed without extras (not editable)."""
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        origin = PROJECT_ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, source / name)
    venv = tmp_path / "venv"
    # Without a pip of its own (seeding one takes seconds): this interpreter's pip installs into it.
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    pip = (sys.executable, "-m", "pip", "--python", python)
    # No byte-compiling of what it installs: Python compiles what the client imports anyway.
    run(*pip, "install", "--quiet", "--disable-pip-version-check", "--no-compile", source)
    return python


def test_the_client_installed_without_extras_books_a_seat(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    # Given a worker deployment (once: the client does not care which database is behind it)
    if backend != "postgresql":
        pytest.skip("tried once, against the PostgreSQL deployment")
    deployment: Deployment = request.getfixturevalue("deployment")
    thin_python = thin_install(tmp_path)
    bodies = {
        "class": class_body(in_days(1200), max_seats=5),
        "seat": seat_body("set-by-the-submitter", seats=2),
        "key": f"thin-install-{uuid.uuid4()}",
        "extras_only": EXTRAS_ONLY,
    }

    # When the thin environment's client creates a class and books two seats in it
    submitted = run(
        thin_python,
        "-c",
        textwrap.dedent(SUBMITTER),
        deployment.redis_url,
        stdin=json.dumps(bodies, default=str),
    )

    # Then the booking is confirmed, and nothing of the extras was installed to get there
    answer = json.loads(submitted.stdout)
    assert answer["extras_present"] == []
    assert answer["seat"]["state"] == "confirmed"
    assert answer["seat"]["owner_booking_id"] == answer["class"]["id"]
