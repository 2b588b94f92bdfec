"""Database engine and sessions for SQLite (aiosqlite, WAL) and PostgreSQL (asyncpg)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

READ_SNAPSHOT = "maestro_read_snapshot"
"""Execution option: a read-only transaction over one consistent snapshot (`read_snapshot`)."""


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; on SQLite, WAL mode, a busy timeout and BEGIN IMMEDIATE transactions.

    BEGIN IMMEDIATE takes SQLite's write lock when a transaction starts, so two writers queue
    instead of one failing with "database is locked" after both have read the ledger head.
    `synchronous=FULL` syncs the WAL on every commit: a delivery acknowledged with 202 survives
    a power loss (NORMAL would only guarantee it after the next checkpoint).
    A connection with the execution option `READ_SNAPSHOT` begins a plain (deferred) transaction
    instead: a consistent snapshot that never blocks writers (see `read_snapshot`).
    """
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin_immediate(conn: Any) -> None:
            deferred = conn.get_execution_options().get(READ_SNAPSHOT)
            conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")

        return engine
    return create_async_engine(url, pool_pre_ping=True, **kwargs)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def read_snapshot(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session whose reads all see one snapshot of the database, without blocking writers.

    SQLite (WAL): a deferred BEGIN, whose snapshot is taken at the first read. PostgreSQL: a
    read-only REPEATABLE READ transaction. For long reads such as verifying the whole ledger.
    """
    async with sessions() as session:
        if session.get_bind().dialect.name == "postgresql":
            options: dict[str, Any] = {"isolation_level": "REPEATABLE READ"}
            options["postgresql_readonly"] = True
        else:
            options = {READ_SNAPSHOT: True}
        await session.connection(execution_options=options)
        yield session
