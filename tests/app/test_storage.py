"""SQLite storage settings: every commit (a stored delivery before its 202) is durable."""

from __future__ import annotations

from sqlalchemy import text

from app.db import create_engine


async def test_sqlite_commits_are_synced_to_disk(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as connection:
            journal = (await connection.execute(text("PRAGMA journal_mode"))).scalar_one()
            synchronous = (await connection.execute(text("PRAGMA synchronous"))).scalar_one()
    finally:
        await engine.dispose()
    assert journal == "wal"
    assert synchronous == 2, "synchronous=FULL: the WAL is synced on every commit"
