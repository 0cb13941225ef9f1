"""Migration 0010 gives the classes of series made before it their series' zone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, insert, select

from harness.databases import fresh_database
from worker.storage.migrate import MIGRATIONS_DIR
from worker.storage.tables import bookings, series

pytestmark = pytest.mark.integration

NOW = datetime(2030, 9, 1, 12, tzinfo=UTC)


def migrated_to(engine: Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    command.upgrade(config, revision)


def a_class(conn: Connection, series_id: uuid.UUID | None) -> uuid.UUID:
    """A class row as 0009 knows it (the columns this migration reads)."""
    class_id = uuid.uuid4()
    conn.execute(
        insert(bookings).values(
            id=class_id,
            graph="group_owner",
            state="tentative",
            created_at=NOW,
            updated_at=NOW,
            series_id=series_id,
        )
    )
    return class_id


def test_classes_of_a_series_made_before_take_its_zone_and_others_none(
    backend: str, workdir: Path
) -> None:
    with fresh_database(backend, workdir) as database_url:
        engine = create_engine(database_url)
        migrated_to(engine, "0009")
        series_id = uuid.uuid4()
        with engine.begin() as conn:
            conn.execute(
                insert(series).values(
                    id=series_id, timezone="Europe/Oslo", exdates=[], created_at=NOW
                )
            )
            in_series, alone = a_class(conn, series_id), a_class(conn, None)

        migrated_to(engine, "0010")

        with engine.connect() as conn:
            zones = dict(conn.execute(select(bookings.c.id, bookings.c.event_timezone)).all())
        engine.dispose()
    assert zones == {
        in_series: "Europe/Oslo",
        alone: None,
    }
