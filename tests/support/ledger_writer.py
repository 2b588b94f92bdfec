"""A ledger writer run in its own OS process (multiprocessing, spawn) by the concurrency tests."""

from __future__ import annotations

import asyncio

from app.db import create_engine, session_factory
from app.ledger_store import LedgerRecord, append


async def _write(url: str, writer: int, count: int) -> None:
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        for n in range(count):
            async with sessions() as session, session.begin():
                await append(
                    session,
                    LedgerRecord(kind="test.append", subject=f"p{writer}", payload={"n": n}),
                )
    finally:
        await engine.dispose()


def write(url: str, writer: int, count: int) -> None:
    """Append `count` entries, one transaction each, as writer number `writer`."""
    asyncio.run(_write(url, writer, count))
