"""A published Proof Card is stored (JSON + SHA-256 in the ledger), linked from its check-run,
cut with a link when GitHub's summary limit is too small, and shown whole on Maestro's own page
(open for public repositories, behind an auditor token otherwise)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import httpx
import respx
from sqlalchemy import select
from support.github import load_payload, mock_pull_request_api, post_event

from app import auditors
from app.main import Services
from app.tables import LedgerEntry, ProofCardRecord
from app.worker import InboxWorker

HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
PUBLIC_URL = "https://maestro.example.test"
PAGE = f"/cards/Codertocat/Hello-World/{HEAD}"
# 400 invariants that fail: the card is far longer than a check-run summary may be.
LONG_POLICY = "required: [invariants]\ninvariants:\n" + "".join(
    f'  needs-changelog-entry-number-{i:03}: changed("src/**") => changed("CHANGELOG-{i}.md")\n'
    for i in range(400)
)


async def _prove(
    client: httpx.AsyncClient,
    worker: InboxWorker,
    github: respx.MockRouter,
    *,
    private: bool = False,
    policy: str = "required: [riskCap]\n",
) -> dict[str, Any]:
    payload = load_payload("pull_request/opened")
    payload["pull_request"]["base"]["repo"]["private"] = private
    routes = mock_pull_request_api(github, policy=policy)
    await post_event(client, "pull_request", payload)
    assert await worker.run_once() is True
    return json.loads(routes["complete"].calls.last.request.content)


async def test_the_card_json_is_stored_and_its_hash_and_verdicts_are_in_the_ledger(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    services.settings.public_url = PUBLIC_URL
    complete = await _prove(client, worker, github)
    assert complete["details_url"] == PUBLIC_URL + PAGE
    async with services.sessions() as session:
        row = await session.get(ProofCardRecord, 77)
        entry = (
            await session.execute(
                select(LedgerEntry).where(LedgerEntry.kind == "checkrun.completed")
            )
        ).scalar_one()
    assert row is not None
    assert (row.repository, row.pull_number, row.head_sha) == ("Codertocat/Hello-World", 2, HEAD)
    assert (row.status, row.conclusion, row.private) == ("completed", "success", False)
    card = json.loads(row.card)
    assert [r["key"] for r in card["results"] if r["status"] == "passed"] == ["riskCap"]
    payload = json.loads(entry.payload or "{}")
    assert payload["card_sha256"] == hashlib.sha256(row.card.encode()).hexdigest()
    assert row.card_sha256 == payload["card_sha256"]
    risk = next(v for v in payload["verdicts"] if v["obligation"] == "riskCap")
    assert risk["status"] == "passed" and risk["required"] == 0.7
    assert set(risk) == {"obligation", "status", "required", "actual", "source"}
    assert "file-list" in risk["source"] or "code graph" in risk["source"]
    # The page serves the stored JSON byte for byte, so anyone can check it against the ledger.
    as_json = await client.get(PAGE, params={"format": "json"})
    assert as_json.status_code == 200
    assert hashlib.sha256(as_json.content).hexdigest() == payload["card_sha256"]


async def test_a_card_over_the_summary_limit_links_to_the_full_card_page(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    services.settings.public_url = PUBLIC_URL
    complete = await _prove(client, worker, github, policy=LONG_POLICY)
    summary = complete["output"]["summary"]
    assert complete["conclusion"] == "failure"
    assert len(summary) <= 65_535
    assert f"**[Full Proof Card]({PUBLIC_URL}{PAGE})**" in summary
    assert "needs-changelog-entry-number-399" not in summary  # cut before the end
    async with services.sessions() as session:
        row = await session.get(ProofCardRecord, 77)
    assert row is not None and len(row.card) > 65_535
    page = await client.get(PAGE)  # a public repository: no token needed
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "needs-changelog-entry-number-399" in page.text
    assert "400 of 400 obligations failed" in page.text
    assert page.text.count("</td>\n<td>needs-changelog-entry-number-") == 400  # a row each


async def test_a_private_repositorys_card_needs_an_auditor_token(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    await _prove(client, worker, github, private=True)
    async with services.sessions() as session, session.begin():
        token = await auditors.add_auditor(session, "alice", ["audit"])
    anonymous = await client.get(PAGE)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith('Basic realm="maestro-cards"')
    assert "Risk" not in anonymous.text
    wrong = await client.get(PAGE, headers={"Authorization": "Bearer mae_audit_" + "x" * 43})
    assert wrong.status_code == 401
    bearer = await client.get(PAGE, headers={"Authorization": f"Bearer {token}"})
    assert bearer.status_code == 200 and "Risk" in bearer.text
    assert bearer.headers["cache-control"] == "no-store"
    basic = base64.b64encode(f"anyone:{token}".encode()).decode()
    browser = await client.get(PAGE, headers={"Authorization": f"Basic {basic}"})
    assert browser.status_code == 200
    # Whether a card exists is not revealed without a token; with one, a missing card is 404.
    other = "/cards/Codertocat/Hello-World/" + "0" * 40
    assert (await client.get(other)).status_code == 401
    assert (
        await client.get(other, headers={"Authorization": f"Bearer {token}"})
    ).status_code == 404
    assert (await client.get("/cards/Codertocat/Hello-World/not-a-sha")).status_code == 404
