"""`/maestro` commands in PR comments: waivers need write access and the policy's approval."""

from __future__ import annotations

import json

import httpx
import respx
from sqlalchemy import select
from support.github import load_payload, mock_pull_request_api, post_event

from app.main import Services
from app.tables import LedgerEntry, WaiverRecord
from app.worker import InboxWorker

REPO = "Codertocat/Hello-World"
POLICY = "required: [riskCap, mutationScore]\nwaivers:\n  min_permission: write\n"


def _comment(body: str) -> dict:
    payload = load_payload("issue_comment/created.with-installation")
    payload["comment"]["body"] = body
    # The same comment on a pull request: GitHub adds issue.pull_request.
    payload["issue"]["number"] = 2
    payload["issue"]["pull_request"] = {
        "url": f"https://api.github.com/repos/{REPO}/pulls/2",
        "html_url": f"https://github.com/{REPO}/pull/2",
        "diff_url": f"https://github.com/{REPO}/pull/2.diff",
        "patch_url": f"https://github.com/{REPO}/pull/2.patch",
    }
    return payload


def _permission(github: respx.MockRouter, role: str) -> respx.Route:
    return github.get(f"/repos/{REPO}/collaborators/Codertocat/permission").mock(
        return_value=httpx.Response(200, json={"permission": role, "role_name": role, "user": None})
    )


async def _kinds(services: Services) -> list[str]:
    async with services.sessions() as session:
        return list(
            (await session.execute(select(LedgerEntry.kind).order_by(LedgerEntry.seq))).scalars()
        )


async def test_waiver_by_a_writer_is_recorded_and_applied(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    routes = mock_pull_request_api(github, policy=POLICY)
    _permission(github, "write")
    comments = github.post(f"/repos/{REPO}/issues/2/comments").mock(
        return_value=httpx.Response(201, json={"id": 555})
    )
    body = "/maestro waive mutationScore --days 3 mutation job is down, tracked in #9"
    await post_event(client, "issue_comment", _comment(body))
    await worker.run_once()

    reply = json.loads(comments.calls.last.request.content)["body"]
    assert "Waived **mutationScore** on `ec26c3e`" in reply
    assert "mutation job is down, tracked in #9" in reply
    card = json.loads(routes["complete"].calls.last.request.content)
    assert card["conclusion"] == "success"
    assert "waived by Codertocat" in card["output"]["summary"]
    async with services.sessions() as session:
        waiver = (await session.execute(select(WaiverRecord))).scalar_one()
    assert (waiver.obligation, waiver.granted_by) == ("mutationScore", "Codertocat")
    assert waiver.head_sha == "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
    kinds = await _kinds(services)
    assert kinds.index("waiver.granted") < kinds.index("comment.posted")
    assert "checkrun.completed" in kinds


async def test_reader_cannot_waive(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    mock_pull_request_api(github, policy=POLICY)
    _permission(github, "read")
    comments = github.post(f"/repos/{REPO}/issues/2/comments").mock(
        return_value=httpx.Response(201, json={"id": 556})
    )
    await post_event(client, "issue_comment", _comment("/maestro waive riskCap trust me"))
    await worker.run_once()
    reply = json.loads(comments.calls.last.request.content)["body"]
    assert "refused: the author's role (read) is below the write role" in reply
    assert "Who may waive here: collaborators with the **write** role or above." in reply
    async with services.sessions() as session:
        assert (await session.execute(select(WaiverRecord))).first() is None


async def test_policy_can_forbid_waiving_an_obligation(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    strict = POLICY + "  not_waivable: [riskCap]\n"
    mock_pull_request_api(github, policy=strict)
    _permission(github, "admin")
    comments = github.post(f"/repos/{REPO}/issues/2/comments").mock(
        return_value=httpx.Response(201, json={"id": 557})
    )
    await post_event(client, "issue_comment", _comment("/maestro waive riskCap big refactor"))
    await worker.run_once()
    reply = json.loads(comments.calls.last.request.content)["body"]
    assert "refused: this repository's policy does not allow waiving this obligation" in reply
    assert "waiver.refused" in await _kinds(services)


async def test_unknown_command_gets_usage_and_prose_is_ignored(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    github.post("/app/installations/1/access_tokens").mock(
        return_value=httpx.Response(201, json={"token": "t", "expires_at": "2099-01-01T00:00:00Z"})
    )
    comments = github.post(f"/repos/{REPO}/issues/2/comments").mock(
        return_value=httpx.Response(201, json={"id": 558})
    )
    await post_event(client, "issue_comment", _comment("LGTM, ship it"))
    await worker.run_once()
    assert comments.call_count == 0
    await post_event(client, "issue_comment", _comment("/maestro deploy"))
    await worker.run_once()
    reply = json.loads(comments.calls.last.request.content)["body"]
    assert "unknown command 'deploy'" in reply and "/maestro waive" in reply


async def test_recheck_by_a_writer_recomputes_the_card(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    routes = mock_pull_request_api(github, policy="required: [riskCap]\n")
    _permission(github, "write")
    comments = github.post(f"/repos/{REPO}/issues/2/comments").mock(
        return_value=httpx.Response(201, json={"id": 559})
    )
    await post_event(client, "issue_comment", _comment("/maestro recheck"))
    await worker.run_once()
    assert routes["files"].call_count == 1
    card = json.loads(routes["complete"].calls.last.request.content)
    assert (card["status"], card["conclusion"]) == ("completed", "success")
    assert comments.call_count == 0  # the card is the answer
    assert "checkrun.completed" in await _kinds(services)


async def test_recheck_by_a_reader_is_refused(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    routes = mock_pull_request_api(github, policy="required: [riskCap]\n")
    _permission(github, "read")
    comments = github.post(f"/repos/{REPO}/issues/2/comments").mock(
        return_value=httpx.Response(201, json={"id": 560})
    )
    await post_event(client, "issue_comment", _comment("/maestro recheck"))
    await worker.run_once()
    assert routes["create"].call_count == 0
    reply = json.loads(comments.calls.last.request.content)["body"]
    assert "`/maestro recheck`" in reply and "your role: read" in reply
