"""Checkpoints: signed on the cadence, roots from stored nodes equal the naive root, worker hook,
the periodic task and the key created at startup."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta

import pytest
from ledger_app.helpers import Fill, ledger_leaves
from sqlalchemy import func, select

from app import checkpoints, inbox
from app.checkpoints import (
    checkpoint_after_delivery,
    checkpoint_loop,
    checkpoint_now,
    latest_checkpoint,
    maybe_checkpoint,
)
from app.inbox import utcnow
from app.ledger_keys import key_path, signing_key
from app.main import Services, create_app
from app.settings import Settings
from app.tables import LedgerCheckpoint
from app.worker import InboxWorker
from ledger.checkpoint import parse_and_verify_checkpoint
from ledger.merkle_reference import naive_root


async def _count(services: Services) -> int:
    async with services.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(LedgerCheckpoint)) or 0)


async def test_cadence_every_m_entries_or_n_seconds(services: Services, fill: Fill) -> None:
    settings = services.settings
    settings.checkpoint_every_entries = 5
    settings.checkpoint_every_seconds = 60
    key = signing_key(settings)
    now = utcnow()

    async def tick(at: datetime) -> LedgerCheckpoint | None:
        async with services.sessions() as session, session.begin():
            return await maybe_checkpoint(session, settings, key, at)

    assert await tick(now) is None  # an empty log is not checkpointed
    await fill(3)
    first = await tick(now)
    assert first is not None and first.size == 3
    await fill(2)
    assert await tick(now + timedelta(seconds=1)) is None  # 2 new entries, 1 s: not yet
    await fill(3)
    assert (await tick(now + timedelta(seconds=2))).size == 8  # type: ignore[union-attr]
    await fill(1)
    assert await tick(now + timedelta(seconds=61)) is None  # 60 s since size 8, not since size 3
    assert (await tick(now + timedelta(seconds=62))).size == 9  # type: ignore[union-attr]
    assert await tick(now + timedelta(days=1)) is None  # no growth, no re-signing
    assert await _count(services) == 3


async def test_checkpoint_root_is_the_naive_root_and_the_signature_verifies(
    services: Services, fill: Fill
) -> None:
    key = signing_key(services.settings)
    for size in (1, 2, 3, 7, 8, 13):
        await fill(size - await _size(services))
        async with services.sessions() as session, session.begin():
            row, created = await checkpoint_now(session, key)
        assert created and row.size == size
        leaves = await ledger_leaves(services.sessions)
        assert bytes.fromhex(row.root_hash) == naive_root(leaves)
        checkpoint = parse_and_verify_checkpoint(row.note, key.origin, key.verifier_key)
        assert (checkpoint.size, checkpoint.root_hash.hex()) == (size, row.root_hash)
    async with services.sessions() as session, session.begin():
        again, created = await checkpoint_now(session, key)
    assert not created and again.size == 13
    async with services.sessions() as session:
        latest = await latest_checkpoint(session)
    assert latest is not None and latest.size == 13


async def _size(services: Services) -> int:
    from app.ledger_queries import log_size

    async with services.sessions() as session:
        return await log_size(session)


async def test_the_worker_checkpoints_after_a_delivery(
    services: Services, worker: InboxWorker
) -> None:
    async with services.sessions() as session, session.begin():
        await inbox.store(
            session,
            inbox.IncomingDelivery(
                "d-1", "gollum", None, 1, "o/r", json.dumps({"pages": []}).encode()
            ),
        )
    assert await _count(services) == 0
    assert await worker.run_once()
    async with services.sessions() as session:
        latest = await latest_checkpoint(session)
    assert latest is not None and latest.size == 1  # the delivery.ignored entry is covered


async def test_a_checkpoint_failure_never_breaks_the_worker(services: Services, fill: Fill) -> None:
    await fill(2)
    services.settings.data_dir.parent.mkdir(parents=True, exist_ok=True)
    services.settings.data_dir = services.settings.data_dir.parent / "a-file"
    services.settings.data_dir.write_text("not a directory")
    await checkpoint_after_delivery(services.sessions, services.settings)  # logs, no raise
    assert await _count(services) == 0


async def test_the_periodic_task_signs_an_idle_log_on_the_seconds_cadence(
    services: Services, fill: Fill
) -> None:
    settings = services.settings
    settings.checkpoint_every_seconds, settings.checkpoint_every_entries = 300, 1000
    await fill(3)
    now = [utcnow()]
    ticks: list[float] = []

    async def tick(seconds: float) -> None:  # no sleeping: the clock moves instead
        ticks.append(seconds)
        if len(ticks) == 2:
            await fill(2)
            seconds = 100  # only 100 s after the first checkpoint: not due yet
        elif len(ticks) == 4:
            raise asyncio.CancelledError  # what cancelling the task in the lifespan does
        now[0] += timedelta(seconds=seconds)

    async def sizes() -> list[int]:
        async with services.sessions() as session:
            rows = await session.execute(
                select(LedgerCheckpoint.size).order_by(LedgerCheckpoint.id)
            )
            return list(rows.scalars())

    with pytest.raises(asyncio.CancelledError):
        await checkpoint_loop(services.sessions, settings, tick=tick, clock=lambda: now[0])
    assert ticks == [300, 300, 300, 300]
    assert await sizes() == [3, 5]  # tick 1 signs 3 entries, tick 2 is early, tick 3 signs 5


async def test_the_periodic_task_survives_a_failed_checkpoint(
    services: Services, fill: Fill, monkeypatch: pytest.MonkeyPatch
) -> None:
    await fill(1)
    calls: list[str] = []
    real = checkpoints.ensure_checkpoint

    async def flaky(*args: object) -> object:
        calls.append("call")
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return await real(*args)  # type: ignore[arg-type]

    async def tick(seconds: float) -> None:
        if len(calls) == 2:
            raise asyncio.CancelledError

    monkeypatch.setattr(checkpoints, "ensure_checkpoint", flaky)
    with pytest.raises(asyncio.CancelledError):
        await checkpoint_loop(services.sessions, services.settings, tick=tick)
    assert await _count(services) == 1


async def test_the_lifespan_creates_the_key_and_runs_the_periodic_task(
    settings: Settings,
) -> None:
    settings.checkpoint_every_seconds = 3600
    app = create_app(settings, run_worker=True, migrate=False)
    assert not key_path(settings).exists()
    async with app.router.lifespan_context(app):
        assert key_path(settings).exists()  # on first start, before any checkpoint
        task = next(t for t in asyncio.all_tasks() if t.get_name() == "maestro-checkpoints")
        assert not task.done()
    assert task.cancelled()
