"""Applies Alembic migrations to the configured database (`maestro db upgrade`, `maestro serve`).

On PostgreSQL several `maestro serve` processes may start at once against one database; the
upgrade runs under a session-level advisory lock, so one process migrates while the others
wait and then find the schema already at head. Within one process, upgrades (which run in
worker threads) are serialised too, since Alembic's migration context is a global.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection

from app.db import create_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# pg_advisory_lock key for schema migrations ("maestro" as a 64-bit integer).
LOCK_KEY = int.from_bytes(b"maestro\x00", "big") >> 1
# Alembic's `context` is process-global: two upgrades in one process must not overlap either.
_IN_PROCESS = threading.Lock()


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def _upgrade_on(connection: Connection, config: Config, revision: str) -> None:
    config.attributes["connection"] = connection  # env.py migrates on this connection
    with _IN_PROCESS:
        command.upgrade(config, revision)


async def _upgrade(database_url: str, revision: str) -> None:
    config = alembic_config(database_url)
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            locking = connection.dialect.name == "postgresql"
            if locking:
                await connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": LOCK_KEY})
                await connection.commit()
            await connection.run_sync(_upgrade_on, config, revision)
            await connection.commit()
            if locking:
                await connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
                await connection.commit()
            # On an error the lock goes with the connection, closed by dispose() below.
    finally:
        await engine.dispose()


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database at `database_url` to `revision` (blocking; runs its own event loop)."""
    asyncio.run(_upgrade(database_url, revision))


async def upgrade_async(database_url: str, revision: str = "head") -> None:
    """Same as `upgrade`, from inside a running event loop."""
    await asyncio.to_thread(upgrade, database_url, revision)
