"""Several workers and writers sharing one PostgreSQL database (real PostgreSQL in CI)."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from gidgethub import routing, sansio
from sqlalchemy import select
from support.postgres import fresh_postgres_database

from app import inbox
from app.db import create_engine, session_factory
from app.ledger_store import LedgerRecord, append
from app.settings import Settings
from app.tables import Delivery, LedgerEntry
from app.worker import InboxWorker
from handlers.context import HandlerContext
from ledger.entry import EntryHeader, chain_hash


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    async for url in fresh_postgres_database():
        yield url


def _counting_router(seen: Counter[str]) -> routing.Router:
    router = routing.Router()

    @router.register("push")
    async def on_push(event: sansio.Event, ctx: HandlerContext) -> None:
        seen[event.delivery_id] += 1
        await asyncio.sleep(0)  # let the other worker run while this delivery is held

    return router


async def test_two_workers_never_process_the_same_delivery_twice(
    pg_url: str, settings: Settings
) -> None:
    settings.database_url = pg_url
    engines = [create_engine(pg_url), create_engine(pg_url)]
    sessions = [session_factory(e) for e in engines]
    total = 60
    async with sessions[0]() as session, session.begin():
        for i in range(total):
            await inbox.store(
                session,
                inbox.IncomingDelivery(
                    id=f"d{i}",
                    event="push",
                    action=None,
                    installation_id=1,
                    repository="o/r",
                    body=json.dumps({"ref": "refs/heads/main"}).encode(),
                ),
            )
    seen: Counter[str] = Counter()
    router = _counting_router(seen)

    async def no_github(installation_id: int):  # type: ignore[no-untyped-def]
        raise AssertionError("no GitHub calls expected")

    workers = [
        InboxWorker(sessions[i], settings, router, no_github, f"worker-{i}") for i in range(2)
    ]

    async def drain(worker: InboxWorker) -> int:
        count = 0
        while await worker.run_once():
            count += 1
        return count

    counts = await asyncio.gather(drain(workers[0]), drain(workers[1]))
    assert sum(counts) == total
    assert all(c > 0 for c in counts), f"both workers should get work: {counts}"
    assert set(seen) == {f"d{i}" for i in range(total)}
    assert set(seen.values()) == {1}
    async with sessions[0]() as session:
        statuses = (await session.execute(select(Delivery.status))).scalars().all()
        entries = (await session.execute(select(LedgerEntry).order_by(LedgerEntry.seq))).scalars()
        ledger = list(entries)
    assert set(statuses) == {"done"}
    assert [e.seq for e in ledger] == list(range(total))
    for engine in engines:
        await engine.dispose()


async def test_concurrent_ledger_appends_stay_gap_free_and_linear(pg_url: str) -> None:
    engines = [create_engine(pg_url, pool_size=5) for _ in range(3)]
    factories = [session_factory(e) for e in engines]

    async def writer(index: int, count: int) -> None:
        sessions = factories[index % len(factories)]
        for n in range(count):
            async with sessions() as session, session.begin():
                await append(
                    session,
                    LedgerRecord(kind="test.append", subject=f"w{index}", payload={"n": n}),
                )

    await asyncio.gather(*(writer(i, 15) for i in range(6)))
    async with factories[0]() as session:
        rows = list(
            (await session.execute(select(LedgerEntry).order_by(LedgerEntry.seq))).scalars()
        )
    assert [r.seq for r in rows] == list(range(90))
    previous = bytes(32)
    for row in rows:
        header = EntryHeader(
            seq=row.seq,
            time=row.time,
            actor=row.actor,
            installation_id=row.installation_id,
            repository=row.repository,
            kind=row.kind,
            subject=row.subject,
            payload_sha256=row.payload_sha256,
        )
        assert row.prev_hash == previous.hex()
        assert row.entry_hash == chain_hash(previous, header).hex()
        previous = bytes.fromhex(row.entry_hash)
    assert Counter(r.subject for r in rows) == {f"w{i}": 15 for i in range(6)}
    assert list(itertools.islice((r.kind for r in rows), 1)) == ["test.append"]
    for engine in engines:
        await engine.dispose()
