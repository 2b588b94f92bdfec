"""A signed real pull_request payload becomes a Proof Card check-run on a stand-in GitHub."""

from __future__ import annotations

import itertools
import json

import httpx
import respx
from sqlalchemy import select
from support.github import (
    API_URL,
    DEFAULT_FILES,
    contents_response,
    load_payload,
    mock_pull_request_api,
    post_event,
)

from app.main import Services
from app.tables import CheckRun, Delivery, LedgerEntry
from app.worker import InboxWorker

REPO = "/repos/Codertocat/Hello-World"
HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"

FILES = DEFAULT_FILES


async def _ledger(services: Services) -> list[LedgerEntry]:
    async with services.sessions() as session:
        return list(
            (await session.execute(select(LedgerEntry).order_by(LedgerEntry.seq))).scalars()
        )


async def test_opened_pull_request_gets_a_completed_proof_card(
    client: httpx.AsyncClient,
    services: Services,
    worker: InboxWorker,
    github: respx.MockRouter,
) -> None:
    routes = mock_pull_request_api(github)
    response = await post_event(client, "pull_request", load_payload("pull_request/opened"), "d1")
    assert response.status_code == 202
    assert not github.calls, "the webhook answer must not wait for GitHub"

    assert await worker.run_once() is True
    assert await worker.run_once() is False

    token_request = routes["token"].calls.last.request
    assert token_request.headers["authorization"].lower().startswith("bearer ey")
    create = json.loads(routes["create"].calls.last.request.content)
    assert create["name"] == "Maestro Proof Card"
    assert create["head_sha"] == HEAD
    assert create["status"] == "in_progress"
    assert routes["create"].calls.last.request.headers["authorization"] == "token ghs_testtoken"
    assert routes["files"].calls.last.request.url.params["per_page"] == "100"
    complete = json.loads(routes["complete"].calls.last.request.content)
    assert complete["status"] == "completed"
    assert complete["conclusion"] == "success"  # the policy requires only the risk cap
    assert complete["output"]["title"] == "The 1 required obligation passed"
    summary = complete["output"]["summary"]
    assert "| ✅ passed | Risk |" in summary
    assert "2 files changed (+52 / −10)" in summary

    entries = await _ledger(services)
    assert [e.kind for e in entries] == [
        "delivery.received",  # committed with the inbox row, before the 202
        "checkrun.created",
        "checkrun.completed",
        "delivery.processed",
    ]
    assert [e.seq for e in entries] == [0, 1, 2, 3]
    assert entries[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.entry_hash for a, b in itertools.pairwise(entries))
    assert entries[0].subject == entries[3].subject == "delivery:d1"
    assert json.loads(entries[0].payload or "{}") == {
        "action": "opened",
        "delivery": "d1",
        "event": "pull_request",
    }
    assert (entries[0].installation_id, entries[0].repository) == (1, "Codertocat/Hello-World")
    assert entries[2].subject == "pr:Codertocat/Hello-World#2"
    assert json.loads(entries[2].payload or "{}")["conclusion"] == "success"
    async with services.sessions() as session:
        delivery = await session.get(Delivery, "d1")
        run = await session.get(CheckRun, 77)
    assert delivery is not None and delivery.status == "done"
    assert run is not None and (run.status, run.conclusion) == ("completed", "success")


async def test_risky_pull_request_fails_with_reason(
    client: httpx.AsyncClient,
    services: Services,
    worker: InboxWorker,
    github: respx.MockRouter,
) -> None:
    big = [
        {**FILES[0], "filename": f"src/module_{i}.py", "additions": 300, "deletions": 100}
        for i in range(60)
    ] + [FILES[1]]
    routes = mock_pull_request_api(github, files=big)
    await post_event(client, "pull_request", load_payload("pull_request/synchronize"))
    await worker.run_once()
    complete = json.loads(routes["complete"].calls.last.request.content)
    assert complete["conclusion"] == "failure"
    assert complete["output"]["title"] == "1 of 1 obligation failed"
    assert "**What blocks the merge**" in complete["output"]["summary"]
    assert "is above the limit of 0.70" in complete["output"]["summary"]


async def test_every_pull_request_action_that_changes_the_head_is_proved(
    client: httpx.AsyncClient,
    services: Services,
    worker: InboxWorker,
    github: respx.MockRouter,
) -> None:
    routes = mock_pull_request_api(github)
    for action in ("opened", "reopened", "synchronize", "ready_for_review.with-installation"):
        await post_event(client, "pull_request", load_payload(f"pull_request/{action}"))
        await worker.run_once()
    assert routes["complete"].call_count == 4
    # closed and converted_to_draft have no handler: ignored and recorded.
    await post_event(client, "pull_request", load_payload("pull_request/closed"), "closed-1")
    await worker.run_once()
    async with services.sessions() as session:
        closed = await session.get(Delivery, "closed-1")
    assert closed is not None and closed.status == "ignored"
    assert (await _ledger(services))[-1].kind == "delivery.ignored"


async def test_draft_pull_requests_are_skipped_unless_configured(
    client: httpx.AsyncClient,
    services: Services,
    worker: InboxWorker,
    github: respx.MockRouter,
) -> None:
    routes = mock_pull_request_api(github)
    payload = load_payload("pull_request/opened")
    payload["pull_request"]["draft"] = True
    await post_event(client, "pull_request", payload, "draft-1")
    await worker.run_once()
    assert routes["create"].call_count == 0  # only the base branch's policy was read
    assert json.loads((await _ledger(services))[-1].payload or "{}")["notes"] == [
        "skipped: draft pull request (set MAESTRO_PROCESS_DRAFTS=true)"
    ]
    services.settings.process_drafts = True
    await post_event(client, "pull_request", payload, "draft-2")
    await worker.run_once()
    assert routes["complete"].call_count == 1


async def test_github_500_then_201_is_retried_without_losing_the_delivery(
    client: httpx.AsyncClient,
    services: Services,
    worker: InboxWorker,
    github: respx.MockRouter,
    sleeps: list[float],
) -> None:
    routes = mock_pull_request_api(github)
    routes["create"].side_effect = [
        httpx.Response(500, json={"message": "Server Error"}),
        httpx.Response(201, json={"id": 77}),
    ]
    await post_event(client, "pull_request", load_payload("pull_request/opened"))
    await worker.run_once()
    assert routes["create"].call_count == 2
    assert sleeps == [1.0]
    assert routes["complete"].call_count == 1


async def test_secondary_rate_limit_waits_retry_after(
    client: httpx.AsyncClient,
    services: Services,
    worker: InboxWorker,
    github: respx.MockRouter,
    sleeps: list[float],
) -> None:
    routes = mock_pull_request_api(github)
    routes["files"].side_effect = [
        httpx.Response(
            403,
            headers={"Retry-After": "7", "x-ratelimit-remaining": "4000"},
            json={"message": "You have exceeded a secondary rate limit."},
        ),
        httpx.Response(200, json=FILES),
    ]
    await post_event(client, "pull_request", load_payload("pull_request/opened"))
    await worker.run_once()
    assert sleeps == [7.0]
    assert routes["complete"].call_count == 1


async def test_persistent_outage_backs_off_then_parks_the_delivery(
    client: httpx.AsyncClient,
    services: Services,
    worker: InboxWorker,
    github: respx.MockRouter,
) -> None:
    services.settings.worker_max_attempts = 3
    services.settings.github_max_retries = 0
    routes = mock_pull_request_api(github)
    routes["files"].mock(return_value=httpx.Response(502, json={"message": "Bad Gateway"}))
    await post_event(client, "pull_request", load_payload("pull_request/opened"), "outage")
    for _ in range(3):
        async with services.sessions() as session:
            row = await session.get(Delivery, "outage")
            assert row is not None
            row.next_attempt_at = row.received_at  # due now: the test does not wait for backoff
            await session.commit()
        assert await worker.run_once() is True
    async with services.sessions() as session:
        parked = await session.get(Delivery, "outage")
    assert parked is not None
    assert parked.status == "failed"
    assert parked.attempts == 3
    assert "GitHubBroken" in (parked.last_error or "")
    # The check-run created on the first attempt is reused, not duplicated.
    assert routes["create"].call_count == 1
    assert (await _ledger(services))[-1].kind == "delivery.failed"


async def test_payload_without_installation_is_parked_with_the_reason(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    payload = load_payload("pull_request/opened")
    del payload["installation"]
    await post_event(client, "pull_request", payload, "no-inst")
    await worker.run_once()
    async with services.sessions() as session:
        row = await session.get(Delivery, "no-inst")
    assert row is not None and row.status == "failed"
    assert "no installation id" in (row.last_error or "")
    assert not github.calls


async def test_unknown_event_is_ignored_and_recorded(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker
) -> None:
    await post_event(client, "star", {"action": "created", "starred_at": None}, "star-1")
    await worker.run_once()
    async with services.sessions() as session:
        row = await session.get(Delivery, "star-1")
    assert row is not None and row.status == "ignored"
    entry = (await _ledger(services))[-1]
    assert entry.kind == "delivery.ignored"
    assert entry.subject == "delivery:star-1"


async def test_ledger_tree_nodes_match_the_rfc6962_root(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    from app.ledger_store import fetch_nodes
    from ledger.merkle import root_plan
    from ledger.merkle_reference import naive_root

    mock_pull_request_api(github)
    for action in ("opened", "synchronize"):
        await post_event(client, "pull_request", load_payload(f"pull_request/{action}"))
        await worker.run_once()
    entries = await _ledger(services)
    leaves = [bytes.fromhex(e.leaf_hash) for e in entries]
    assert len(leaves) == 8  # (received, created, completed, processed) per delivery
    async with services.sessions() as session:
        for size in range(1, len(leaves) + 1):
            plan = root_plan(size)
            nodes = await fetch_nodes(session, plan.node_ids)
            assert plan.assemble(nodes)[0] == naive_root(leaves[:size])


async def test_the_base_policy_decides_how_drafts_are_treated(
    client: httpx.AsyncClient,
    services: Services,
    worker: InboxWorker,
    github: respx.MockRouter,
) -> None:
    big = [
        {**FILES[0], "filename": f"src/module_{i}.py", "additions": 300, "deletions": 100}
        for i in range(60)
    ]
    payload = load_payload("pull_request/opened")
    payload["pull_request"]["draft"] = True
    routes = mock_pull_request_api(
        github, files=big, policy="required: [riskCap]\ndrafts: neutral\n"
    )
    await post_event(client, "pull_request", payload)
    await worker.run_once()
    complete = json.loads(routes["complete"].calls.last.request.content)
    assert complete["conclusion"] == "neutral"  # it fails, but a draft never blocks
    assert complete["output"]["title"] == "1 of 1 obligation failed (draft: not blocking)"
    assert "`drafts: neutral`" in complete["output"]["summary"]

    services.settings.process_drafts = True  # the policy overrides the setting
    routes["policy"].mock(return_value=contents_response("required: [riskCap]\ndrafts: skip\n"))
    await post_event(client, "pull_request", payload)
    await worker.run_once()
    assert routes["create"].call_count == 1
    entry = (await _ledger(services))[-1]
    assert json.loads(entry.payload or "{}")["notes"] == [
        "skipped: draft pull request (policy `drafts: skip`)"
    ]

    services.settings.process_drafts = False
    routes["policy"].mock(return_value=contents_response("required: [riskCap]\ndrafts: check\n"))
    await post_event(client, "pull_request", payload)
    await worker.run_once()
    assert routes["create"].call_count == 2
    assert json.loads(routes["complete"].calls.last.request.content)["conclusion"] == "failure"


async def test_changed_files_follow_link_pagination(
    client: httpx.AsyncClient,
    services: Services,
    worker: InboxWorker,
    github: respx.MockRouter,
) -> None:
    """`GET /pulls/{n}/files` answers 100 files a page; the card counts every page."""
    files = [
        {**FILES[0], "filename": f"docs/page_{i}.md", "additions": 1, "deletions": 0, "changes": 1}
        for i in range(103)
    ]
    routes = mock_pull_request_api(github)
    next_page = f"{API_URL}{REPO}/pulls/2/files?per_page=100&page=2"
    routes["files"].side_effect = [
        httpx.Response(
            200,
            json=files[:100],
            headers={"Link": f'<{next_page}>; rel="next", <{next_page}>; rel="last"'},
        ),
        httpx.Response(200, json=files[100:]),
    ]
    await post_event(client, "pull_request", load_payload("pull_request/opened"))
    assert await worker.run_once() is True
    assert routes["files"].call_count == 2
    assert routes["files"].calls[1].request.url.params["page"] == "2"
    summary = json.loads(routes["complete"].calls.last.request.content)["output"]["summary"]
    assert "103 files changed (+103 / −0)" in summary
