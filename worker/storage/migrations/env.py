"""Alembic environment: runs on the engine handed over by worker.storage.migrate."""

from __future__ import annotations

from alembic import context

from worker.storage.tables import metadata

# Any constant will do; every migrator asks PostgreSQL for the same one.
MIGRATION_LOCK_ID = 7_340_112


def run_migrations_online() -> None:
    engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            transactional_ddl=True,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Workers starting together queue here; each then finds the schema current.
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})")
            # On SQLite the transaction began with BEGIN IMMEDIATE, which serialises migrators.
            context.run_migrations()


run_migrations_online()
