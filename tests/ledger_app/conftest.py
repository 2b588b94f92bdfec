"""Fixtures for the ledger's app side: a filled ledger, auditor tokens and the `maestro` CLI."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from ledger_app.helpers import Cli, Fill, record
from support.postgres import fresh_postgres_database

from app.auditors import add_auditor
from app.cli import main
from app.ledger_queries import log_size
from app.ledger_store import append
from app.main import Services


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh migrated PostgreSQL database (skipped locally when PostgreSQL is down)."""
    async for url in fresh_postgres_database():
        yield url


@pytest.fixture
def fill(services: Services) -> Fill:
    """Append `n` more entries, one transaction each (as actions do)."""

    async def go(n: int) -> None:
        for _ in range(n):
            async with services.sessions() as session, session.begin():
                await append(session, record(await log_size(session)))

    return go


@pytest.fixture
async def token(services: Services) -> str:
    async with services.sessions() as session, session.begin():
        return await add_auditor(session, "alice", ["audit"])


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def cli(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    """Run `maestro ARGS…` against the test database (off the test's event loop)."""
    monkeypatch.setenv("MAESTRO_DATABASE_URL", db_url)
    monkeypatch.setenv("MAESTRO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("MAESTRO_LEDGER_KEY", raising=False)
    monkeypatch.chdir(tmp_path)

    def exit_code(args: list[str]) -> int:
        try:
            return main(args)
        except SystemExit as exc:  # argparse and settings errors exit like the console script
            return int(exc.code or 0)

    async def run(*args: str) -> tuple[int, str, str]:
        code = await asyncio.to_thread(exit_code, list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
