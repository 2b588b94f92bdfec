"""Group commit of webhook deliveries (app.ingest): concurrent posts share transactions, each
answer still waits for its own commit, redeliveries inside one group are caught, and a failed
commit fails every request of its group without storing any of them."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from sqlalchemy import func, select
from support.github import load_payload, post_event

from app import ingest
from app.main import Services
from app.tables import Delivery, LedgerEntry


async def _count(services: Services, table: type) -> int:
    async with services.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


def _payload(n: int) -> dict[str, object]:
    payload = load_payload("pull_request/opened")
    payload["number"] = n
    return payload


async def test_concurrent_posts_share_commits_and_each_is_stored_before_its_answer(
    client: httpx.AsyncClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    groups: list[int] = []
    real = ingest.store_batch

    async def counting(sessions, batch):  # type: ignore[no-untyped-def]
        groups.append(len(batch))
        return await real(sessions, batch)

    monkeypatch.setattr(ingest, "store_batch", counting)
    answers = await asyncio.gather(
        *(post_event(client, "pull_request", _payload(n), delivery_id=f"d-{n}") for n in range(20))
    )
    assert [a.status_code for a in answers] == [202] * 20
    assert sum(groups) == 20 and len(groups) < 20  # some posts shared a transaction
    assert await _count(services, Delivery) == 20
    assert await _count(services, LedgerEntry) == 20  # one delivery.received each


async def test_a_redelivery_inside_one_group_does_nothing_twice(
    client: httpx.AsyncClient, services: Services
) -> None:
    answers = await asyncio.gather(
        *(post_event(client, "pull_request", _payload(1), delivery_id="same") for _ in range(5))
    )
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 200, 202]
    assert [json.loads(a.content).get("duplicate") for a in answers].count(True) == 4
    assert await _count(services, Delivery) == 1
    assert await _count(services, LedgerEntry) == 1


async def test_a_failed_commit_fails_its_whole_group_and_stores_nothing(
    client: httpx.AsyncClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken_append(session: object, record: object) -> None:
        raise RuntimeError("the ledger head row is missing")

    monkeypatch.setattr(ingest, "append", broken_append)
    results = await asyncio.gather(
        *(post_event(client, "pull_request", _payload(n), delivery_id=f"x-{n}") for n in range(6)),
        return_exceptions=True,
    )
    assert all(isinstance(r, RuntimeError) for r in results)
    assert await _count(services, Delivery) == 0
    assert await _count(services, LedgerEntry) == 0
