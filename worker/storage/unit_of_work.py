"""One database transaction per command: commit explicitly, roll back on anything else."""

from __future__ import annotations

import time
from types import TracebackType

from sqlalchemy import Connection, Engine, RootTransaction

from .. import metrics


class UnitOfWork:
    """A connection inside one transaction; leaves rolled back unless `commit()` was called."""

    def __init__(
        self,
        engine: Engine,
        *,
        read_only: bool = False,
    ) -> None:
        self._engine = engine
        self._read_only = read_only
        self._connection: Connection | None = None
        self._transaction: RootTransaction | None = None
        self._began = 0.0

    @property
    def connection(self) -> Connection:
        assert self._connection is not None, "use the unit of work in a with block"
        return self._connection

    @property
    def dialect_name(self) -> str:
        return self._engine.dialect.name

    def __enter__(self) -> UnitOfWork:
        connection = self._engine.connect()
        if self._read_only:
            connection = connection.execution_options(read_only=True)
        self._connection = connection
        self._transaction = connection.begin()
        self._began = time.perf_counter()
        return self

    def commit(self) -> None:
        assert self._transaction is not None
        self._transaction.commit()
        self._ended("commit")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._connection is not None and self._transaction is not None
        try:
            if self._transaction.is_active:
                self._transaction.rollback()
                self._ended("rollback")
        finally:
            self._connection.close()
            self._connection = None
            self._transaction = None

    def _ended(self, how: metrics.TransactionEnd) -> None:
        kind: metrics.TransactionKind = "read" if self._read_only else "write"
        metrics.transaction_ended(kind, how, time.perf_counter() - self._began)
