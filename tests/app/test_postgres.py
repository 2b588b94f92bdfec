"""Several workers and writers sharing one PostgreSQL database (real PostgreSQL in CI)."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
from collections import Counter
from collections.abc import AsyncIterator

import asyncpg
import pytest
from gidgethub import routing, sansio
from sqlalchemy import select
from support.postgres import _dsn, fresh_postgres_database

from app import inbox
from app.db import create_engine, session_factory
from app.ledger_store import LedgerRecord, append
from app.migrate import LOCK_KEY, upgrade_async
from app.settings import Settings
from app.tables import Delivery, LedgerEntry
from app.worker import InboxWorker
from handlers.context import HandlerContext
from ledger.entry import EntryHeader, chain_hash


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    async for url in fresh_postgres_database():
        yield url


@pytest.fixture
async def empty_pg_url() -> AsyncIterator[str]:
    """A throwaway database without any schema (dropped after the test)."""
    async for url in fresh_postgres_database(migrate=False):
        yield url


async def _schema_state(url: str) -> tuple[list[str], int]:
    connection = await asyncpg.connect(_dsn(url))
    try:
        versions = [r[0] for r in await connection.fetch("SELECT version_num FROM alembic_version")]
        heads = await connection.fetchval("SELECT count(*) FROM ledger_head")
    finally:
        await connection.close()
    return versions, int(heads)


def _head_revision() -> str:
    from alembic.script import ScriptDirectory

    from app.migrate import alembic_config

    return str(ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head())


async def test_a_migration_waits_for_the_advisory_lock(empty_pg_url: str) -> None:
    """While another process holds the migration lock, an upgrade waits without touching the
    schema; once the lock is released it migrates."""
    holder = await asyncpg.connect(_dsn(empty_pg_url))
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
        upgrade = asyncio.create_task(upgrade_async(empty_pg_url))
        waiting = 0
        deadline = asyncio.get_running_loop().time() + 60
        while not waiting and asyncio.get_running_loop().time() < deadline and not upgrade.done():
            waiting = await holder.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND classid = $1 AND objid = $2",
                LOCK_KEY >> 32,
                LOCK_KEY & 0xFFFFFFFF,
            )
        assert waiting == 1, "the upgrade should be waiting for the migration lock"
        assert not await holder.fetchval("SELECT to_regclass('alembic_version') IS NOT NULL")
        await holder.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)
        await upgrade
    finally:
        await holder.close()
    assert await _schema_state(empty_pg_url) == ([_head_revision()], 1)


async def test_concurrent_upgrades_of_a_fresh_database_all_succeed(empty_pg_url: str) -> None:
    """Several processes starting together on one database: one migrates, the others wait for
    the lock and find the schema at head."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MAESTRO_")}
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "app.cli",
            "db",
            "upgrade",
            env={**clean, "MAESTRO_DATABASE_URL": empty_pg_url},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(3)
    ]
    results = [await p.communicate() for p in processes]
    for process, (_out, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err.decode()
    assert await _schema_state(empty_pg_url) == ([_head_revision()], 1)


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
