"""Workers starting together on an empty database bring it to the newest schema once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from harness.databases import fresh_database
from harness.processes import REPO_ROOT
from harness.redis_databases import redis_url
from harness.workers import worker_env
from worker.storage.migrate import MIGRATIONS_DIR

pytestmark = pytest.mark.integration


def test_several_migrators_at_once_leave_one_schema_at_head(backend: str, workdir: Path) -> None:
    with fresh_database(backend, workdir) as database_url:
        env = worker_env(redis_url("migrations"), database_url, {})
        migrators = [
            subprocess.Popen(
                [sys.executable, "-m", "worker", "migrate"],
                cwd=REPO_ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            for _ in range(4)
        ]
        outputs = [migrator.communicate(timeout=60)[0].decode() for migrator in migrators]

        assert [migrator.returncode for migrator in migrators] == [0, 0, 0, 0], outputs
        engine = create_engine(database_url)
        with engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
            tables = set(inspect(conn).get_table_names())
        engine.dispose()
    assert versions == [(newest_revision(),)]
    assert {"bookings", "booking_logs", "command_keys", "outbox"} <= tables


def newest_revision() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head
