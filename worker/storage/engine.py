"""Engines per process: SQLite with BEGIN IMMEDIATE and a busy timeout, PostgreSQL pooled."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from ..config import Settings

_engines: dict[tuple[int, str], Engine] = {}


def engine_for(settings: Settings) -> Engine:
    """This process's engine for the settings' database.

    Keyed by pid so that a forked worker child never reuses a connection its parent opened.
    """
    key = (os.getpid(), settings.database_url)
    engine = _engines.get(key)
    if engine is None:
        engine = _create(settings)
        _engines[key] = engine
    return engine


def forget_inherited_engines() -> None:
    """In a fresh child process: drop the parent's pools without closing its connections."""
    for (pid, _url), engine in list(_engines.items()):
        if pid != os.getpid():
            engine.dispose(close=False)
            del _engines[(pid, _url)]


def dispose_all() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


def _create(settings: Settings) -> Engine:
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        return _create_sqlite(settings.database_url, settings.sqlite_busy_timeout_s)
    # No pre-ping: it would cost a round trip per command. A connection that died in the pool
    # fails its first statement instead; SQLAlchemy then discards the pool, and the task
    # retries on a fresh connection (worker/tasks.py).
    return create_engine(url, pool_size=settings.db_pool_size, max_overflow=settings.db_pool_size)


def _create_sqlite(url: str, busy_timeout_s: float) -> Engine:
    engine = create_engine(url, connect_args={"timeout": busy_timeout_s})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so that BEGIN is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A writer must hold the write lock from its first read, or two prefork children could
        # both read the same seat count and one would fail to upgrade its lock mid-transaction.
        read_only = connection.get_execution_options().get("read_only", False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine
