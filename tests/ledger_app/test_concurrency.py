"""The issue's concurrency test: 8 writers × 500 appends, on PostgreSQL (real in CI) and SQLite,
and 4 separate OS processes × 250 appends on PostgreSQL.

Each writer has its own engine (its own connection pool, as a separate process would) and two
checkpointers sign meanwhile. The 4,000 entries must be gap-free, the chain linear and verifying,
the Merkle root assembled from stored nodes equal to the naive root over every leaf, the writers
really interleaved, and every checkpoint signed meanwhile must commit to the naive root of its
size.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
from collections import Counter
from itertools import pairwise

from ledger_app.helpers import ledger_leaves
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support import ledger_writer

from app.checkpoints import maybe_checkpoint
from app.db import create_engine, session_factory
from app.ledger_keys import signing_key
from app.ledger_queries import log_size, tree_root
from app.ledger_store import LedgerRecord, append
from app.ledger_verify import verify_database
from app.settings import Settings
from app.tables import LedgerCheckpoint, LedgerEntry
from ledger.checkpoint import parse_and_verify_checkpoint
from ledger.merkle_reference import naive_root

WRITERS = 8
EACH = 500


async def _hammer(url: str, settings: Settings, writers: int, each: int) -> None:
    pool = [create_engine(url) for _ in range(writers + 1)]  # one per writer + the checkpointers'

    factories = [session_factory(e) for e in pool]
    settings.checkpoint_every_entries = 250
    settings.checkpoint_every_seconds = None
    key = signing_key(settings)
    done = asyncio.Event()

    async def writer(index: int) -> None:
        sessions = factories[index]
        for n in range(each):
            async with sessions() as session, session.begin():
                await append(
                    session, LedgerRecord(kind="test.append", subject=f"w{index}", payload={"n": n})
                )

    async def checkpointer() -> None:
        while not done.is_set():
            async with factories[-1]() as session, session.begin():
                await maybe_checkpoint(session, settings, key)
            await asyncio.sleep(0)  # a yield, not a wait

    async def writers_then_stop() -> None:
        await asyncio.gather(*(writer(i) for i in range(writers)))
        done.set()

    try:
        await asyncio.gather(writers_then_stop(), checkpointer(), checkpointer())
        await _check(factories[0], settings, writers, each)
    finally:
        for engine in pool:
            await engine.dispose()


async def _check(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, writers: int, each: int
) -> None:
    total = writers * each
    leaves = await ledger_leaves(sessions)  # before the session below: SQLite has one writer
    async with sessions() as session:
        seqs = (await session.execute(select(LedgerEntry.seq).order_by(LedgerEntry.seq))).scalars()
        assert list(seqs) == list(range(total))
        order = list(
            (await session.execute(select(LedgerEntry.subject).order_by(LedgerEntry.seq))).scalars()
        )
        assert Counter(order) == {f"w{i}": each for i in range(writers)}
        # Writers taking turns one after the other would switch only writers - 1 times.
        switches = sum(a != b for a, b in pairwise(order))
        assert switches > writers - 1, "the writers never ran concurrently"
        assert await log_size(session) == total
        assert await tree_root(session, total) == naive_root(leaves)
        checkpoints = list((await session.execute(select(LedgerCheckpoint))).scalars())
    sizes = [c.size for c in checkpoints]
    assert sizes and len(sizes) == len(set(sizes)), f"a size was signed twice: {sizes}"
    key = signing_key(settings)
    for row in checkpoints:
        cp = parse_and_verify_checkpoint(row.note, key.origin, key.public)
        assert cp.root_hash == naive_root(leaves[: cp.size])
    latest = max(checkpoints, key=lambda c: c.size).note
    report = await verify_database(sessions, latest, [], key.public, key.origin)
    assert report.ok, report.message


async def test_postgres_writers_and_checkpointers_keep_one_linear_log(
    pg_url: str, settings: Settings
) -> None:
    await _hammer(pg_url, settings, writers=WRITERS, each=EACH)


async def test_sqlite_writers_and_checkpointers_keep_one_linear_log(
    db_url: str, settings: Settings
) -> None:
    await _hammer(db_url, settings, writers=WRITERS, each=EACH)


async def test_postgres_writers_in_separate_processes_keep_one_linear_log(pg_url: str) -> None:
    """4 OS processes × 250 appends: each its own interpreter, engine and pool."""
    processes, each = 4, 250
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(processes, mp_context=context) as pool:
        loop = asyncio.get_running_loop()
        await asyncio.gather(
            *(
                loop.run_in_executor(pool, ledger_writer.write, pg_url, i, each)
                for i in range(processes)
            )
        )
    engine = create_engine(pg_url)
    try:
        sessions = session_factory(engine)
        async with sessions() as session:
            order = list(
                (await session.execute(select(LedgerEntry.subject).order_by(LedgerEntry.seq)))
                .scalars()
                .all()
            )
            assert await log_size(session) == processes * each
        assert Counter(order) == {f"p{i}": each for i in range(processes)}
        report = await verify_database(sessions, None, [], None, None)
        assert report.ok and report.verified == processes * each, report.message
    finally:
        await engine.dispose()
