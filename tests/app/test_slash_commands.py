"""`/maestro` commands in PR comments: waivers need write access and the policy's approval."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import respx
from sqlalchemy import select
from support.github import load_payload, mock_pull_request_api, post_event
from support.rest_objects import review

from app.inbox import utcnow
from app.main import Services
from app.tables import LedgerEntry, WaiverRecord
from app.worker import InboxWorker

REPO = "Codertocat/Hello-World"
HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
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


TEAM_POLICY = """\
required: [riskCap, mutationScore, invariants]
invariants:
  migrations-need-dba: changed("migrations/**") => approved_by_team("@Octocoders/dba")
waivers:
  min_permission: triage
  users: [release-bot]
  teams: ['@Octocoders/dba']
  max_days: 30
"""
DBA = "/orgs/octocoders/teams/dba/memberships/Codertocat"


def _comments(github: respx.MockRouter) -> respx.Route:
    return github.post(f"/repos/{REPO}/issues/2/comments").mock(
        return_value=httpx.Response(201, json={"id": 560})
    )


def _reply(route: respx.Route) -> str:
    return str(json.loads(route.calls.last.request.content)["body"])


async def _waiver(services: Services) -> WaiverRecord | None:
    async with services.sessions() as session:
        return (await session.execute(select(WaiverRecord))).scalar_one_or_none()


async def test_triage_may_waive_when_the_policy_says_so(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    routes = mock_pull_request_api(github, policy=TEAM_POLICY)
    _permission(github, "triage")
    github.get(DBA).mock(return_value=httpx.Response(404, json={"message": "Not Found"}))
    comments = _comments(github)
    until = (utcnow() + timedelta(days=10)).date()
    body = f"/maestro waive mutationscore job down --until {until} --owner @qa-lead"
    await post_event(client, "issue_comment", _comment(body))
    await worker.run_once()
    reply = _reply(comments)
    assert f"Waived **mutationScore** on `ec26c3e` for @Codertocat until {until}" in reply
    assert "(owner @qa-lead): job down" in reply
    waiver = await _waiver(services)
    assert waiver is not None and waiver.obligation == "mutationScore"
    assert waiver.owner == "qa-lead" and waiver.reason == "job down"
    assert waiver.expires_at is not None
    assert waiver.expires_at.date() == until + timedelta(days=1)  # the whole day
    card = json.loads(routes["complete"].calls.last.request.content)
    assert (
        f"waived by Codertocat (owner @qa-lead) until {until}: job down"
        in (card["output"]["summary"])
    )


async def test_a_listed_user_with_a_low_role_may_waive(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    mock_pull_request_api(github, policy=TEAM_POLICY.replace("release-bot", "Codertocat"))
    _permission(github, "read")
    team = github.get(DBA).mock(return_value=httpx.Response(404, json={"message": "Not Found"}))
    comments = _comments(github)
    await post_event(client, "issue_comment", _comment("/maestro waive riskCap big refactor"))
    await worker.run_once()
    assert "Waived **riskCap**" in _reply(comments)
    assert await _waiver(services) is not None
    # listed: no team needs asking for the waiver, and with no approval the card asks none
    assert team.call_count == 0


async def test_a_team_member_may_waive_and_membership_is_read_once(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    approved = [review("Codertocat", "APPROVED", HEAD, utcnow() - timedelta(hours=1))]
    routes = mock_pull_request_api(github, policy=TEAM_POLICY, reviews=approved)
    _permission(github, "read")
    team = github.get(DBA).mock(
        return_value=httpx.Response(200, json={"url": "u", "role": "member", "state": "active"})
    )
    comments = _comments(github)
    await post_event(client, "issue_comment", _comment("/maestro waive riskCap big refactor"))
    await worker.run_once()
    assert "Waived **riskCap**" in _reply(comments)
    # the waiver and the card's approved_by_team rule asked about the same member once
    assert team.call_count == 1
    card = json.loads(routes["complete"].calls.last.request.content)
    assert "| ✅ passed | migrations-need-dba |" in card["output"]["summary"]


async def test_refusal_says_who_may_waive(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    mock_pull_request_api(github, policy=TEAM_POLICY.replace("triage", "maintain"))
    _permission(github, "write")
    github.get(DBA).mock(return_value=httpx.Response(404, json={"message": "Not Found"}))
    comments = _comments(github)
    await post_event(client, "issue_comment", _comment("/maestro waive riskCap trust me"))
    await worker.run_once()
    reply = _reply(comments)
    assert "refused: the author's role (write) is below the maintain role" in reply
    assert (
        "Who may waive here: collaborators with the **maintain** role or above; "
        "the users @release-bot; members of @Octocoders/dba." in reply
    )
    assert await _waiver(services) is None


async def test_unreadable_waiver_team_is_explained(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    mock_pull_request_api(github, policy=TEAM_POLICY)
    _permission(github, "read")
    github.get(DBA).mock(return_value=httpx.Response(403, json={"message": "Forbidden"}))
    comments = _comments(github)
    await post_event(client, "issue_comment", _comment("/maestro waive riskCap trust me"))
    await worker.run_once()
    reply = _reply(comments)
    assert "membership of @octocoders/dba could not be read" in reply
    assert "Members: read" in reply


async def test_dates_and_names_are_checked_with_a_clear_reply(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    mock_pull_request_api(github, policy=TEAM_POLICY)
    _permission(github, "admin")
    comments = _comments(github)
    today = utcnow().date()
    cases = [
        (
            f"/maestro waive riskCap r --until {today - timedelta(days=1)}",
            f"refused: {today - timedelta(days=1)} is in the past",
        ),
        (
            f"/maestro waive riskCap r --until {today + timedelta(days=45)}",
            "this repository allows at most 30 days "
            f"(until {today + timedelta(days=30)} at the latest)",
        ),
        (
            "/maestro waive mutationScor r",
            "refused: mutationScor is not an obligation of this repository",
        ),
        ("/maestro waive invariants.nope r", "`invariants.migrations-need-dba`"),
        ("/maestro waive riskCap r --until 2026-02-30", "--until needs a date as YYYY-MM-DD"),
    ]
    for body, expected in cases:
        await post_event(client, "issue_comment", _comment(body))
        await worker.run_once()
        assert expected in _reply(comments), body
    listed = json.loads(comments.calls[3].request.content)["body"]
    assert "Obligations that can be waived: `specCoverage`, `invariants`, `cepGuards`" in listed
    assert await _waiver(services) is None


async def test_recheck_needs_write(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    routes = mock_pull_request_api(github, policy=TEAM_POLICY)
    permission = _permission(github, "triage")
    comments = _comments(github)
    await post_event(client, "issue_comment", _comment("/maestro recheck"))
    await worker.run_once()
    assert "only collaborators with **write** access" in _reply(comments)
    assert "(your role: triage)" in _reply(comments)
    assert routes["create"].call_count == 0
    permission.mock(
        return_value=httpx.Response(
            200, json={"permission": "write", "role_name": "write", "user": None}
        )
    )
    await post_event(client, "issue_comment", _comment("/maestro recheck"))
    await worker.run_once()
    assert routes["create"].call_count == 1
