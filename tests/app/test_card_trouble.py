"""Maestro's own trouble gives a neutral card with a Re-run button (never red, never stuck in
progress); the button recomputes; Maestro ignores its own check-run events; a new push
supersedes the previous head's open card, whose evidence timeout then does nothing."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import httpx
import pytest
import respx
from sqlalchemy import select, update
from support.github import load_payload, mock_pull_request_api, post_event

from app.inbox import utcnow
from app.main import Services
from app.tables import CheckRun, Delivery, LedgerEntry, ProofCardRecord
from app.worker import InboxWorker
from handlers import workflow_runs
from handlers.publish import RERUN_ACTION

REPO = "Codertocat/Hello-World"
HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
NEWER = "d" * 40
CONFIGURED = "version: 1\n"  # every default, on purpose: CI evidence is awaited


async def _due(services: Services, delivery_id: str | None = None) -> None:
    """Make pending deliveries due now (the test does not wait for backoff or timeouts)."""
    async with services.sessions() as session, session.begin():
        query = update(Delivery).values(next_attempt_at=utcnow() - timedelta(seconds=1))
        if delivery_id is not None:
            query = query.where(Delivery.id == delivery_id)
        await session.execute(query)


async def test_github_502_gives_a_neutral_card_with_a_rerun_button(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    services.settings.worker_max_attempts = 2
    services.settings.github_max_retries = 0
    routes = mock_pull_request_api(github)
    routes["files"].mock(return_value=httpx.Response(502, json={"message": "Bad Gateway"}))
    await post_event(client, "pull_request", load_payload("pull_request/opened"), "outage")
    assert await worker.run_once() is True
    retrying = json.loads(routes["complete"].calls.last.request.content)
    assert retrying["status"] == "in_progress" and "conclusion" not in retrying
    assert retrying["output"]["title"] == "Maestro hit a problem and is retrying"
    assert "attempt 1 of 2 failed" in retrying["output"]["summary"]

    await _due(services, "outage")
    assert await worker.run_once() is True
    final = json.loads(routes["complete"].calls.last.request.content)
    assert (final["status"], final["conclusion"]) == ("completed", "neutral")
    assert final["actions"] == [RERUN_ACTION]
    assert final["output"]["title"] == "Maestro could not finish"
    assert (
        "**Maestro could not finish** while reading the changed files: GitHub answered with an "
        "error (HTTP 502 Bad Gateway)." in final["output"]["summary"]
    )
    assert routes["create"].call_count == 1  # the retry reused the open card
    async with services.sessions() as session:
        delivery = await session.get(Delivery, "outage")
        run = await session.get(CheckRun, 77)
        card = await session.get(ProofCardRecord, 77)
    assert delivery is not None and delivery.status == "failed"  # parked, visible to operators
    assert run is not None and (run.status, run.conclusion) == ("completed", "neutral")
    assert card is not None and json.loads(card.card)["trouble"]["code"] == "github_error"


async def test_an_oversized_artifact_ends_the_waiting_card_neutral_without_retrying(
    client: httpx.AsyncClient,
    services: Services,
    worker: InboxWorker,
    github: respx.MockRouter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(workflow_runs, "MAX_ARTIFACT_BYTES", 64)
    payload = load_payload("workflow_run/completed.with-pull-requests")
    payload["installation"] = {"id": 1}
    run = payload["workflow_run"]
    repo = payload["repository"]["full_name"]
    async with services.sessions() as session, session.begin():
        session.add(
            CheckRun(
                id=9,
                installation_id=1,
                repository=repo,
                pull_number=2,
                head_sha=run["head_sha"],
                status="in_progress",
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
    routes = mock_pull_request_api(github, repo=repo, check_run_id=9)
    github.get(f"/repos/{repo}/actions/runs/{run['id']}/artifacts").mock(
        return_value=httpx.Response(
            200,
            json={"total_count": 1, "artifacts": [{"id": 1234, "name": "maestro-evidence"}]},
        )
    )
    blob = "https://blob.storage.example.test/artifacts/1234.zip?sig=s3cr3t"
    github.get(f"/repos/{repo}/actions/artifacts/1234/zip").mock(
        return_value=httpx.Response(302, headers={"Location": blob})
    )
    big = io.BytesIO()
    with zipfile.ZipFile(big, "w") as archive:
        archive.writestr("coverage.xml", "x" * 10_000)
    github.get(blob).mock(return_value=httpx.Response(200, content=big.getvalue()))
    await post_event(client, "workflow_run", payload, "big")
    assert await worker.run_once() is True
    final = json.loads(routes["complete"].calls.last.request.content)
    assert final["conclusion"] == "neutral" and final["actions"] == [RERUN_ACTION]
    summary = final["output"]["summary"]
    assert "while collecting the CI evidence: the evidence artifact is larger" in summary
    assert "(over 64 bytes)" in summary and "s3cr3t" not in summary
    async with services.sessions() as session:
        delivery = await session.get(Delivery, "big")
    assert delivery is not None and delivery.status == "done"  # a retry cannot shrink it


async def test_the_rerun_button_recomputes_the_card(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    payload = load_payload("check_run/requested_action")  # a real requested_action delivery
    check_run = payload["check_run"]
    check_run["name"] = "Maestro Proof Card"
    payload["requested_action"] = {"identifier": "rerun"}
    (pull_ref,) = check_run["pull_requests"]
    pull = load_payload("pull_request/opened")["pull_request"]
    pull["number"] = pull_ref["number"]
    pull["head"]["sha"] = check_run["head_sha"]
    routes = mock_pull_request_api(
        github,
        repo=payload["repository"]["full_name"],
        number=pull_ref["number"],
        installation_id=payload["installation"]["id"],
        check_run_id=31,
        pull=pull,
    )
    await post_event(client, "check_run", payload)
    assert await worker.run_once() is True
    created = json.loads(routes["create"].calls.last.request.content)
    assert created["head_sha"] == check_run["head_sha"]
    assert json.loads(routes["complete"].calls.last.request.content)["conclusion"] == "success"


@pytest.mark.parametrize(
    ("name", "identifier"), [("API Review", "lgtm|26764"), ("Maestro Proof Card", "deploy")]
)
async def test_other_requested_actions_are_left_alone(
    client: httpx.AsyncClient,
    services: Services,
    worker: InboxWorker,
    github: respx.MockRouter,
    name: str,
    identifier: str,
) -> None:
    payload = load_payload("check_run/requested_action")
    payload["check_run"]["name"] = name
    payload["requested_action"] = {"identifier": identifier}
    await post_event(client, "check_run", payload, "action")
    assert await worker.run_once() is True
    assert not github.calls
    async with services.sessions() as session:
        delivery = await session.get(Delivery, "action")
    assert delivery is not None and delivery.status == "done"


@pytest.mark.parametrize("action", ["created", "completed"])
async def test_events_about_maestros_own_check_runs_are_ignored(
    client: httpx.AsyncClient,
    services: Services,
    worker: InboxWorker,
    github: respx.MockRouter,
    action: str,
) -> None:
    payload = load_payload(f"check_run/{action}")
    payload["check_run"]["name"] = "Maestro Proof Card"
    payload["installation"] = {"id": 1}
    await post_event(client, "check_run", payload, f"own-{action}")
    assert await worker.run_once() is True
    assert not github.calls
    async with services.sessions() as session:
        delivery = await session.get(Delivery, f"own-{action}")
    assert delivery is not None and delivery.status == "ignored"


async def test_a_push_supersedes_the_open_card_and_its_timeout_does_nothing(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    routes = mock_pull_request_api(github, policy=CONFIGURED)
    routes["create"].side_effect = [
        httpx.Response(201, json={"id": 77}),
        httpx.Response(201, json={"id": 78}),
    ]
    newer = github.patch(f"/repos/{REPO}/check-runs/78").mock(
        return_value=httpx.Response(200, json={"id": 78})
    )
    await post_event(client, "pull_request", load_payload("pull_request/opened"))
    await worker.run_once()
    assert json.loads(routes["complete"].calls.last.request.content)["status"] == "in_progress"

    pushed = load_payload("pull_request/synchronize")
    pushed["pull_request"]["head"]["sha"] = NEWER
    await post_event(client, "pull_request", pushed)
    await worker.run_once()
    old = json.loads(routes["complete"].calls.last.request.content)
    assert (old["status"], old["conclusion"]) == ("completed", "neutral")
    assert old["output"]["title"] == "Superseded by ddddddd"
    assert json.loads(newer.calls.last.request.content)["status"] == "in_progress"
    async with services.sessions() as session:
        assert (await session.get(CheckRun, 77)).status == "completed"  # type: ignore[union-attr]
        kinds = (await session.execute(select(LedgerEntry.kind))).scalars().all()
    assert kinds.count("checkrun.completed") == 1

    # Even if GitHub had refused to close the old card, its timeout must not re-evaluate the
    # old head against the pull request's current files.
    async with services.sessions() as session, session.begin():
        await session.execute(
            update(CheckRun).where(CheckRun.id == 77).values(status="in_progress")
        )
    calls = len(github.calls)
    await _due(services, f"timeout:{REPO}@{HEAD}"[:64])
    assert await worker.run_once() is True
    assert len(github.calls) == calls
    async with services.sessions() as session:
        timeout = await session.get(Delivery, f"timeout:{REPO}@{HEAD}"[:64])
    assert timeout is not None and timeout.status == "done"
    async with services.sessions() as session:
        last = (
            await session.execute(select(LedgerEntry).order_by(LedgerEntry.seq.desc()).limit(1))
        ).scalar_one()
    assert json.loads(last.payload or "{}")["notes"] == [
        "skipped: ec26c3e was superseded by ddddddd"
    ]
