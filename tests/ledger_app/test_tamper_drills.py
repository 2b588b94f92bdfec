"""Tamper drills on a real SQLite file and on PostgreSQL: `maestro ledger verify --database URL`
names the first bad entry.

Rows are changed behind the app's back with plain SQL, as an attacker with database access
would; the CLI must then fail with exit 1, name the first bad sequence number and say what is
wrong. Every drill runs on both databases (PostgreSQL is required in CI).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from ledger_app.drills import DRILLS, SIZE, seed_and_tamper, steps
from ledger_app.helpers import Cli
from support.postgres import fresh_postgres_database

from app.settings import Settings


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, db_url: str) -> AsyncIterator[str]:
    """The URL of a migrated, empty database of each kind."""
    if request.param == "sqlite":
        yield db_url
    else:
        async for url in fresh_postgres_database():
            yield url


async def test_an_untouched_ledger_verifies(database: str, settings: Settings, cli: Cli) -> None:
    await seed_and_tamper(database, settings, steps())
    code, out, _ = await cli("ledger", "verify", "--database", database)
    assert code == 0, out
    assert out.startswith(f"OK: {SIZE} entries verified") and "root matches the entries" in out


@pytest.mark.parametrize("drill", list(DRILLS))
async def test_tampering_is_detected_and_the_first_bad_entry_named(
    drill: str, database: str, settings: Settings, cli: Cli
) -> None:
    tamper, first_bad, why = DRILLS[drill]
    await seed_and_tamper(database, settings, tamper)
    code, out, _ = await cli("ledger", "verify", "--database", database)
    assert code == 1, out
    assert re.search(rf"^FAILED: first bad entry {first_bad}\b", out), out
    assert why in out
