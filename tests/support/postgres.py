"""A fresh, migrated PostgreSQL database per test (skipped locally when PostgreSQL is down;
CI sets MAESTRO_REQUIRE_POSTGRES=1 so that it fails instead)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from app.migrate import upgrade_async

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def fresh_postgres_database(migrate: bool = True) -> AsyncIterator[str]:
    """Yield the URL of a new database (migrated unless `migrate` is False); dropped after."""
    base = os.environ.get("MAESTRO_TEST_POSTGRES_URL", DEFAULT_URL)
    try:
        admin = await asyncpg.connect(_dsn(base), timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        if os.environ.get("MAESTRO_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required here but unreachable at {base}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {base}: {exc}")
    name = f"maestro_test_{uuid.uuid4().hex[:12]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = base.rsplit("/", 1)[0] + f"/{name}"
    try:
        if migrate:
            await upgrade_async(url)
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
