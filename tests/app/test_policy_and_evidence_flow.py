"""The policy on the base branch drives the card: an invalid file fails naming the line; missing
CI evidence keeps the check in progress until the evidence timeout, then fails with the reason."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import respx
from sqlalchemy import select, update
from support.github import load_payload, mock_pull_request_api, post_event

from app.inbox import utcnow
from app.main import Services
from app.tables import CheckRun, Delivery
from app.worker import InboxWorker

BAD_POLICY = """\
version: 1
thresholds:
  mutationScore: 1.5
invariants:
  changelog: 'changed("api/**") => changed("CHANGELOG.md"'
"""

# A policy file that keeps every default: the repository has configured Maestro.
CONFIGURED = "version: 1\n"


async def test_invalid_policy_fails_the_card_quoting_file_and_line(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    routes = mock_pull_request_api(github, policy=BAD_POLICY)
    await post_event(client, "pull_request", load_payload("pull_request/opened"))
    await worker.run_once()
    policy_request = routes["policy"].calls.last.request
    assert policy_request.url.params["ref"] == "master"  # the base branch, not the head
    complete = json.loads(routes["complete"].calls.last.request.content)
    assert complete["conclusion"] == "failure"
    summary = complete["output"]["summary"]
    assert ".github/maestro.yml is invalid" in summary
    assert ".github/maestro.yml:3:" in summary  # mutationScore 1.5 is on line 3
    assert ".github/maestro.yml:5:" in summary  # the unclosed rule is on line 5


async def test_missing_ci_evidence_waits_then_times_out_with_the_reason(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    routes = mock_pull_request_api(github, policy=CONFIGURED)  # the defaults, chosen on purpose
    await post_event(client, "pull_request", load_payload("pull_request/opened"), "pr-1")
    await worker.run_once()
    waiting = json.loads(routes["complete"].calls.last.request.content)
    assert waiting["status"] == "in_progress" and "conclusion" not in waiting
    assert "no coverage report was uploaded for this commit" in waiting["output"]["summary"]
    async with services.sessions() as session:
        timeout = (
            await session.execute(
                select(Delivery).where(Delivery.event == "maestro_evidence_timeout")
            )
        ).scalar_one()
        run = await session.get(CheckRun, 77)
    assert run is not None and run.status == "in_progress"
    assert timeout.next_attempt_at.replace(tzinfo=None) - run.created_at.replace(
        tzinfo=None
    ) == timedelta(minutes=60)
    assert await worker.run_once() is False  # not due yet

    # Sixty-one minutes later (moved in the database, not waited for):
    async with services.sessions() as session, session.begin():
        earlier = utcnow() - timedelta(minutes=61)
        await session.execute(update(CheckRun).values(created_at=earlier))
        await session.execute(
            update(Delivery).where(Delivery.id == timeout.id).values(next_attempt_at=earlier)
        )
    assert await worker.run_once() is True
    final = json.loads(routes["complete"].calls.last.request.content)
    assert final["status"] == "completed" and final["conclusion"] == "failure"
    assert "no coverage report was uploaded within 60 minutes" in final["output"]["summary"]
    assert routes["create"].call_count == 1  # the same check-run, completed


async def test_a_repository_without_policy_or_evidence_ends_neutral_with_a_note(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    routes = mock_pull_request_api(github, policy=None)  # never configured Maestro
    await post_event(client, "pull_request", load_payload("pull_request/opened"))
    await worker.run_once()
    waiting = json.loads(routes["complete"].calls.last.request.content)
    assert waiting["status"] == "in_progress"  # CI may still upload evidence
    assert "This repository has no `.github/maestro.yml`" in waiting["output"]["summary"]
    async with services.sessions() as session, session.begin():
        earlier = utcnow() - timedelta(minutes=61)
        await session.execute(update(CheckRun).values(created_at=earlier))
        await session.execute(
            update(Delivery)
            .where(Delivery.event == "maestro_evidence_timeout")
            .values(next_attempt_at=earlier)
        )
    assert await worker.run_once() is True
    final = json.loads(routes["complete"].calls.last.request.content)
    assert (final["status"], final["conclusion"]) == ("completed", "neutral")
    assert final["output"]["title"].endswith(", 3 without CI evidence")
    summary = final["output"]["summary"]
    assert "❌" not in summary  # no wall of red for a repository that never asked for it
    assert "upload a `maestro-evidence` artifact from CI" in summary
