"""Installation events keep the tables current; check_run/check_suite re-runs recompute the card."""

from __future__ import annotations

import json

import httpx
import pytest
import respx
from sqlalchemy import select
from support.github import load_payload, mock_pull_request_api, post_event, token_response

from app.inbox import utcnow
from app.main import Services
from app.tables import CheckRun, Delivery, Installation, LedgerEntry, Repository
from app.worker import InboxWorker

FILES = [{"filename": "README.md", "status": "modified", "additions": 1, "deletions": 1}]


async def _process(client: httpx.AsyncClient, worker: InboxWorker, event: str, name: str) -> None:
    response = await post_event(client, event, load_payload(name))
    assert response.status_code == 202
    assert await worker.run_once() is True


async def _installations(services: Services) -> dict[int, tuple[str, bool, list[str]]]:
    async with services.sessions() as session:
        rows = (await session.execute(select(Installation))).scalars().all()
        repos = (await session.execute(select(Repository))).scalars().all()
    return {
        i.id: (
            i.account_login,
            i.suspended_at is not None,
            sorted(r.full_name for r in repos if r.installation_id == i.id),
        )
        for i in rows
    }


async def test_installation_lifecycle(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker
) -> None:
    await _process(client, worker, "installation", "installation/created")
    assert await _installations(services) == {
        957387: ("Codertocat", False, ["Codertocat/Hello-World"])
    }
    await _process(client, worker, "installation_repositories", "installation_repositories/added")
    assert (await _installations(services))[957387][2] == [
        "Codertocat/Hello-World",
        "Codertocat/Space",
    ]
    # The real suspend/unsuspend examples are for installation 16598467.
    await _process(client, worker, "installation", "installation/suspend")
    assert (await _installations(services))[16598467][1] is True
    assert (await _installations(services))[957387][1] is False
    await _process(client, worker, "installation", "installation/unsuspend")
    assert (await _installations(services))[16598467][1] is False
    await _process(client, worker, "installation", "installation/deleted")  # installation 2
    assert set(await _installations(services)) == {957387, 16598467}
    deleted = load_payload("installation/created")
    deleted["action"] = "deleted"
    await post_event(client, "installation", deleted)
    await worker.run_once()
    assert set(await _installations(services)) == {16598467}
    async with services.sessions() as session:
        kinds = (await session.execute(select(LedgerEntry.kind).order_by(LedgerEntry.seq))).all()
    assert [k for (k,) in kinds if k.startswith("installation")] == [
        "installation.created",
        "installation.repositories_added",
        "installation.suspend",
        "installation.unsuspend",
        "installation.deleted",
        "installation.deleted",
    ]


@pytest.mark.parametrize("name", ["installation/deleted", "installation/suspend"])
async def test_deleted_or_suspended_installation_forgets_its_cached_token(
    name: str,
    client: httpx.AsyncClient,
    services: Services,
    worker: InboxWorker,
    github: respx.MockRouter,
) -> None:
    installation_id = load_payload(name)["installation"]["id"]
    tokens = github.post(f"/app/installations/{installation_id}/access_tokens").mock(
        return_value=token_response()
    )
    await services.github.for_installation(installation_id)
    await services.github.for_installation(installation_id)
    assert tokens.call_count == 1, "the token is cached"
    await _process(client, worker, "installation", name)
    await services.github.for_installation(installation_id)
    assert tokens.call_count == 2, "the revoked token was not reused"


async def test_repositories_removed(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker
) -> None:
    payload = load_payload("installation_repositories/removed")
    await post_event(client, "installation_repositories", payload)
    await worker.run_once()
    installation_id = payload["installation"]["id"]
    assert (await _installations(services))[installation_id][2] == []


async def test_check_suite_rerequested_recomputes_the_card(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    payload = load_payload("check_suite/rerequested")
    routes = mock_pull_request_api(
        github, installation_id=payload["installation"]["id"], check_run_id=5, files=FILES
    )
    await post_event(client, "check_suite", payload)
    await worker.run_once()
    created = json.loads(routes["create"].calls.last.request.content)
    assert created["head_sha"] == payload["check_suite"]["head_sha"]
    assert routes["pull"].call_count == 1  # a re-run fetches the pull request it lacks
    assert json.loads(routes["complete"].calls.last.request.content)["conclusion"] == "success"


async def test_check_run_rerequest_of_our_card_uses_the_recorded_pull_request(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    payload = load_payload("check_run/rerequested")
    payload["check_run"]["name"] = "Maestro Proof Card"
    repo_name = payload["repository"]["full_name"]
    head = payload["check_run"]["head_sha"]
    assert payload["check_run"]["pull_requests"] == []  # as GitHub sends it for forks
    async with services.sessions() as session, session.begin():
        session.add(
            CheckRun(
                id=4,
                installation_id=1,
                repository=repo_name,
                pull_number=9,
                head_sha=head,
                status="completed",
                conclusion="neutral",
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
    pull = load_payload("pull_request/opened")["pull_request"]
    pull["head"]["sha"] = head  # the pull request's head is still the commit re-run
    routes = mock_pull_request_api(
        github, repo=repo_name, number=9, check_run_id=6, files=FILES, pull=pull
    )
    await post_event(client, "check_run", payload)
    await worker.run_once()
    assert routes["files"].call_count == 1
    assert routes["complete"].call_count == 1


async def test_rerequest_of_another_apps_check_is_left_alone(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    await post_event(client, "check_run", load_payload("check_run/rerequested"), "other")
    await worker.run_once()
    assert not github.calls
    async with services.sessions() as session:
        row = await session.get(Delivery, "other")
    assert row is not None and row.status == "done"
