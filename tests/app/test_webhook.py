"""POST /webhook: signature, headers, body checks, durable storage before 202, redelivery, and the
`delivery.received` ledger entry committed with the stored delivery."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import func, select
from support.github import WEBHOOK_SECRET, load_payload, post_event, signed_headers

from app import ingest
from app.main import Services
from app.tables import Delivery, LedgerEntry


async def _count(services: Services) -> int:
    async with services.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Delivery)) or 0)


async def test_real_pull_request_is_stored_before_202(
    client: httpx.AsyncClient, services: Services
) -> None:
    payload = load_payload("pull_request/opened")
    response = await post_event(client, "pull_request", payload, delivery_id="d-1")
    assert response.status_code == 202
    assert response.json() == {"ok": True, "queued": True, "delivery": "d-1"}
    async with services.sessions() as session:
        stored = await session.get(Delivery, "d-1")
    assert stored is not None
    assert (stored.event, stored.action, stored.status) == ("pull_request", "opened", "pending")
    assert stored.installation_id == payload["installation"]["id"]
    assert stored.repository == "Codertocat/Hello-World"
    assert json.loads(stored.body) == payload


async def test_redelivery_answers_200_and_stores_once(
    client: httpx.AsyncClient, services: Services
) -> None:
    payload = load_payload("pull_request/synchronize")
    first = await post_event(client, "pull_request", payload, delivery_id="same")
    second = await post_event(client, "pull_request", payload, delivery_id="same")
    assert (first.status_code, second.status_code) == (202, 200)
    assert second.json()["duplicate"] is True
    assert await _count(services) == 1


async def test_missing_signature_is_401(client: httpx.AsyncClient, services: Services) -> None:
    body = json.dumps(load_payload("pull_request/opened")).encode()
    headers = signed_headers("pull_request", body)
    del headers["X-Hub-Signature-256"]
    response = await client.post("/webhook", content=body, headers=headers)
    assert response.status_code == 401
    assert await _count(services) == 0


async def test_wrong_signature_is_401(client: httpx.AsyncClient, services: Services) -> None:
    body = json.dumps(load_payload("pull_request/opened")).encode()
    headers = signed_headers("pull_request", body, secret="not-the-secret")
    response = await client.post("/webhook", content=body, headers=headers)
    assert response.status_code == 401
    tampered = signed_headers("pull_request", body)
    response = await client.post("/webhook", content=body + b" ", headers=tampered)
    assert response.status_code == 401
    assert await _count(services) == 0


async def test_truncated_json_is_400(client: httpx.AsyncClient, services: Services) -> None:
    body = json.dumps(load_payload("pull_request/opened")).encode()[:-40]
    response = await client.post("/webhook", content=body, headers=signed_headers("x", body))
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]
    array = b"[1, 2]"
    response = await client.post("/webhook", content=array, headers=signed_headers("x", array))
    assert response.status_code == 400
    assert await _count(services) == 0


async def test_missing_github_headers_is_400(client: httpx.AsyncClient) -> None:
    body = b"{}"
    headers = signed_headers("pull_request", body)
    del headers["X-GitHub-Delivery"]
    response = await client.post("/webhook", content=body, headers=headers)
    assert response.status_code == 400
    headers = signed_headers("pull_request", body)
    del headers["X-GitHub-Event"]
    assert (await client.post("/webhook", content=body, headers=headers)).status_code == 400


async def test_ping_answers_200_without_storing(
    client: httpx.AsyncClient, services: Services
) -> None:
    payload = load_payload("ping/payload")
    response = await post_event(client, "ping", payload)
    assert response.status_code == 200
    assert response.json()["zen"] == payload["zen"]
    assert await _count(services) == 0


async def test_body_over_limit_is_413(client: httpx.AsyncClient, services: Services) -> None:
    services.settings.max_body_bytes = 1000
    body = json.dumps({"padding": "x" * 2000}).encode()
    response = await client.post("/webhook", content=body, headers=signed_headers("push", body))
    assert response.status_code == 413
    assert await _count(services) == 0


async def test_unconfigured_secret_refuses_with_503(
    client: httpx.AsyncClient, services: Services
) -> None:
    services.settings.webhook_secret = None
    body = b"{}"
    headers = signed_headers("push", body, secret=WEBHOOK_SECRET)
    response = await client.post("/webhook", content=body, headers=headers)
    assert response.status_code == 503
    assert "MAESTRO_WEBHOOK_SECRET" in response.json()["error"]


async def _ledger(services: Services) -> list[LedgerEntry]:
    async with services.sessions() as session:
        return list(
            (await session.execute(select(LedgerEntry).order_by(LedgerEntry.seq))).scalars()
        )


async def test_a_stored_delivery_is_recorded_as_received_once_without_its_body(
    client: httpx.AsyncClient, services: Services
) -> None:
    payload = load_payload("pull_request/opened")
    assert (await post_event(client, "pull_request", payload, delivery_id="d-1")).status_code == 202
    assert (await post_event(client, "pull_request", payload, delivery_id="d-1")).status_code == 200
    ping = await post_event(client, "ping", {"zen": "Keep it logically awesome.", "hook_id": 1})
    assert ping.status_code == 200
    entries = await _ledger(services)
    assert [(e.seq, e.kind, e.subject) for e in entries] == [
        (0, "delivery.received", "delivery:d-1")
    ]
    entry = entries[0]
    assert (entry.installation_id, entry.repository) == (
        payload["installation"]["id"],
        "Codertocat/Hello-World",
    )
    assert json.loads(entry.payload or "") == {
        "action": "opened",
        "delivery": "d-1",
        "event": "pull_request",
    }
    assert payload["pull_request"]["title"] not in (entry.payload or "")


async def test_a_delivery_is_not_stored_when_its_ledger_entry_fails(
    client: httpx.AsyncClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken_append(session: object, record: object) -> None:
        raise RuntimeError("the ledger head row is missing")

    monkeypatch.setattr(ingest, "append", broken_append)
    with pytest.raises(RuntimeError):
        await post_event(client, "pull_request", load_payload("pull_request/opened"))
    assert await _count(services) == 0
    assert await _ledger(services) == []
