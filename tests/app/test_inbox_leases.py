"""Leases on deliveries: a crashed worker's delivery is reclaimed once its lease expires and is
processed exactly once; a running handler keeps its lease alive; a worker that lost its lease
cannot record an outcome (no sleeps: time passing is simulated by rewriting `locked_until`)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from gidgethub import routing, sansio
from sqlalchemy import select, update

from app import inbox
from app.inbox import utcnow
from app.main import Services
from app.tables import Delivery, LedgerEntry
from app.worker import InboxWorker
from handlers.context import HandlerContext

LEASE = timedelta(seconds=300)


async def _store(services: Services, delivery_id: str) -> None:
    async with services.sessions() as session, session.begin():
        await inbox.store(
            session,
            inbox.IncomingDelivery(
                delivery_id, "push", None, 1, "o/r", json.dumps({"ref": "refs/heads/x"}).encode()
            ),
        )


async def _expire_lease(services: Services, delivery_id: str) -> None:
    """The lease's time runs out (instead of waiting for it)."""
    async with services.sessions() as session, session.begin():
        await session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(locked_until=utcnow() - timedelta(seconds=1))
        )


async def _row(services: Services, delivery_id: str) -> Delivery:
    async with services.sessions() as session:
        row = await session.get(Delivery, delivery_id)
    assert row is not None
    return row


async def _ledger_kinds(services: Services) -> list[str]:
    async with services.sessions() as session:
        return list((await session.scalars(select(LedgerEntry.kind))).all())


async def _no_github(installation_id: int) -> Any:
    raise AssertionError("no GitHub calls expected")


def _counting_router(seen: Counter[str]) -> routing.Router:
    router = routing.Router()

    @router.register("push")
    async def on_push(event: sansio.Event, ctx: HandlerContext) -> None:
        seen[event.delivery_id] += 1

    return router


async def test_crashed_workers_delivery_is_reclaimed_after_its_lease_and_processed_once(
    services: Services,
) -> None:
    await _store(services, "crash-1")
    # Worker A claims the delivery and dies before recording anything.
    crashed = await inbox.claim_next(services.sessions, "worker-a", LEASE)
    assert crashed is not None and crashed.attempts == 1
    seen: Counter[str] = Counter()
    worker_b = InboxWorker(
        services.sessions, services.settings, _counting_router(seen), _no_github, "worker-b"
    )
    assert await worker_b.run_once() is False, "a live lease is not taken over"
    await _expire_lease(services, "crash-1")
    assert await worker_b.run_once() is True
    assert await worker_b.run_once() is False
    assert seen == Counter({"crash-1": 1})
    row = await _row(services, "crash-1")
    assert (row.status, row.attempts, row.locked_by) == ("done", 2, "worker-b")
    assert (await _ledger_kinds(services)).count("delivery.processed") == 1
    # Worker A coming back cannot finish it a second time.
    async with services.sessions() as session, session.begin():
        assert await inbox.mark_done(session, "crash-1", "worker-a") is False


async def test_outcomes_are_recorded_only_by_the_lease_holder(services: Services) -> None:
    await _store(services, "lease-1")
    claimed_by_a = await inbox.claim_next(services.sessions, "worker-a", LEASE)
    assert claimed_by_a is not None
    assert await inbox.renew_lease(services.sessions, "lease-1", "worker-a", LEASE) is True
    assert await inbox.renew_lease(services.sessions, "lease-1", "worker-b", LEASE) is False
    await _expire_lease(services, "lease-1")
    claimed_by_b = await inbox.claim_next(services.sessions, "worker-b", LEASE)
    assert claimed_by_b is not None and claimed_by_b.attempts == 2

    # A lost the lease: renewing, finishing and failing are all refused and change nothing.
    assert await inbox.renew_lease(services.sessions, "lease-1", "worker-a", LEASE) is False
    async with services.sessions() as session, session.begin():
        assert await inbox.mark_done(session, "lease-1", "worker-a") is False
        lost = await inbox.mark_failed_attempt(
            session, claimed_by_a, "boom", max_attempts=1, backoff_base=1, backoff_cap=1
        )
        assert lost is None
    row = await _row(services, "lease-1")
    assert (row.status, row.locked_by, row.last_error) == ("processing", "worker-b", None)

    # B holds it: its renewal extends the lease and its outcome is recorded.
    before = inbox.as_utc(row.locked_until)  # type: ignore[arg-type]
    assert await inbox.renew_lease(services.sessions, "lease-1", "worker-b", LEASE) is True
    assert inbox.as_utc((await _row(services, "lease-1")).locked_until) > before  # type: ignore[arg-type]
    async with services.sessions() as session, session.begin():
        status = await inbox.mark_failed_attempt(
            session, claimed_by_b, "boom", max_attempts=5, backoff_base=1, backoff_cap=1
        )
        assert status == "pending"
    row = await _row(services, "lease-1")
    assert (row.status, row.last_error) == ("pending", "boom")


async def test_worker_renews_its_lease_while_the_handler_runs(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _store(services, "long-1")
    renewed = asyncio.Event()
    real_renew = inbox.renew_lease

    async def renew_and_signal(*args: Any) -> bool:
        held = await real_renew(*args)
        renewed.set()
        return held

    monkeypatch.setattr(inbox, "renew_lease", renew_and_signal)
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 1:
            # A third of the lease "passes": it is now close to running out.
            async with services.sessions() as session, session.begin():
                await session.execute(
                    update(Delivery)
                    .where(Delivery.id == "long-1")
                    .values(locked_until=utcnow() + timedelta(seconds=1))
                )
            return
        await asyncio.Event().wait()  # no further ticks in this test

    router = routing.Router()
    lease_seen_by_handler: list[float] = []

    @router.register("push")
    async def long_handler(event: sansio.Event, ctx: HandlerContext) -> None:
        await asyncio.wait_for(renewed.wait(), timeout=30)  # safety net, not a timing
        row = await _row(services, "long-1")
        left = inbox.as_utc(row.locked_until) - utcnow()  # type: ignore[arg-type]
        lease_seen_by_handler.append(left.total_seconds())

    worker = InboxWorker(
        services.sessions, services.settings, router, _no_github, "worker-a", sleeper=fake_sleep
    )
    assert await worker.run_once() is True
    assert waits[0] == services.settings.worker_lease_seconds / 3
    assert lease_seen_by_handler and lease_seen_by_handler[0] > 200, "the lease was extended"
    assert (await _row(services, "long-1")).status == "done"


async def test_worker_that_lost_its_lease_discards_its_outcome(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    await _store(services, "slow-1")
    router = routing.Router()

    @router.register("push")
    async def slow_handler(event: sansio.Event, ctx: HandlerContext) -> None:
        # While this handler runs, its lease expires and another worker claims the delivery.
        await _expire_lease(services, "slow-1")
        assert await inbox.claim_next(services.sessions, "worker-b", LEASE) is not None

    async def never(seconds: float) -> None:
        await asyncio.Event().wait()

    worker = InboxWorker(
        services.sessions, services.settings, router, _no_github, "worker-a", sleeper=never
    )
    with caplog.at_level(logging.WARNING, logger="maestro.worker"):
        assert await worker.run_once() is True
    assert "lost the lease on delivery slow-1" in caplog.text
    row = await _row(services, "slow-1")
    assert (row.status, row.locked_by) == ("processing", "worker-b")
    assert "delivery.processed" not in await _ledger_kinds(services)
