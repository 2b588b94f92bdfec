"""An action's state change and its ledger entry commit together or not at all.

A failure after the append but before the commit (a crash, a lost connection) must leave neither
the state row nor the entry, its tree nodes or a moved ledger head behind — on SQLite and on
PostgreSQL, and through a real handler run by the inbox worker.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support.github import load_payload

from app import inbox, state
from app.db import create_engine, session_factory
from app.ledger_queries import log_size
from app.ledger_store import LedgerRecord, append
from app.main import Services
from app.tables import Delivery, Installation, LedgerEntry, LedgerNode, Repository
from app.worker import InboxWorker


class Crash(Exception):
    """Raised between the ledger append and the commit."""


async def _counts(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with sessions() as session:
        return {
            table.__tablename__: int(
                await session.scalar(select(func.count()).select_from(table)) or 0
            )
            for table in (Installation, Repository, LedgerEntry, LedgerNode)
        } | {"head": await log_size(session)}


async def _state_change_then_crash(sessions: async_sessionmaker[AsyncSession]) -> None:
    payload = load_payload("installation/created")
    with pytest.raises(Crash):
        async with sessions() as session, session.begin():
            await state.upsert_installation(session, payload["installation"])
            await state.add_repositories(
                session, payload["installation"]["id"], payload["repositories"]
            )
            await append(session, LedgerRecord(kind="installation.created", payload={"n": 1}))
            assert await log_size(session) == 3  # the entry is there, inside the transaction
            raise Crash


async def _seed(sessions: async_sessionmaker[AsyncSession]) -> None:
    for n in range(2):
        async with sessions() as session, session.begin():
            await append(session, LedgerRecord(kind="test.append", payload={"n": n}))


async def test_a_crash_before_commit_leaves_neither_row_on_sqlite(services: Services) -> None:
    await _seed(services.sessions)
    before = await _counts(services.sessions)
    await _state_change_then_crash(services.sessions)
    assert await _counts(services.sessions) == before
    assert before == {
        "installations": 0,
        "repositories": 0,
        "ledger_entries": 2,
        "ledger_nodes": 3,
        "head": 2,
    }


async def test_a_crash_before_commit_leaves_neither_row_on_postgres(pg_url: str) -> None:
    engine = create_engine(pg_url)
    sessions = session_factory(engine)
    try:
        await _seed(sessions)
        before = await _counts(sessions)
        await _state_change_then_crash(sessions)
        assert await _counts(sessions) == before
        assert before["ledger_entries"] == before["head"] == 2
    finally:
        await engine.dispose()


async def test_a_handler_failing_after_its_append_records_nothing(
    services: Services, worker: InboxWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    import handlers.installations as handler

    async def append_then_crash(session: AsyncSession, record: LedgerRecord) -> Any:
        row = await append(session, record)
        raise Crash(f"after appending seq {row.seq}")

    monkeypatch.setattr(handler, "append", append_then_crash)
    body = json.dumps(load_payload("installation/created")).encode()
    async with services.sessions() as session, session.begin():
        await inbox.store(
            session, inbox.IncomingDelivery("d-1", "installation", "created", 1, None, body)
        )
    assert await worker.run_once()
    counts = await _counts(services.sessions)
    assert counts == {
        "installations": 0,
        "repositories": 0,
        "ledger_entries": 0,
        "ledger_nodes": 0,
        "head": 0,
    }
    async with services.sessions() as session:
        delivery = await session.get(Delivery, "d-1")
    assert delivery is not None and delivery.status == "pending"  # retried later
    assert delivery.last_error is not None and "Crash: after appending seq 0" in delivery.last_error


async def test_appends_after_a_rollback_or_a_stale_guess_build_on_the_real_head(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`append` expects the head it last wrote; a rolled-back append, or another process's,
    makes that guess wrong, and the conditional head update must then read the real head."""
    from app import ledger_store
    from app.ledger_verify import verify_database

    await _seed(services.sessions)
    await _state_change_then_crash(services.sessions)  # guessed head: 3 entries, never committed
    async with services.sessions() as session, session.begin():
        assert (await append(session, LedgerRecord(kind="after.rollback"))).seq == 2
    monkeypatch.setattr(ledger_store, "_last_head", [(7, bytes(32))])  # another process's view
    monkeypatch.setattr(ledger_store, "_RANGES", ledger_store.OrderedDict())
    async with services.sessions() as session, session.begin():
        first = await append(session, LedgerRecord(kind="stale.guess"))
        second = await append(session, LedgerRecord(kind="same.transaction"))
    assert (first.seq, second.seq) == (3, 4) and second.prev_hash == first.entry_hash
    report = await verify_database(services.sessions, None, [], None, None)
    assert report.ok and report.verified == 5, report.message
