"""Rule facts gathered from GitHub on a real pull_request delivery: approvals from the reviews,
team memberships (active / 404 / 403), pushes after approval, reverts on the base branch; and
only what the policy's rules read."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import httpx
import respx
from support.github import load_payload, mock_pull_request_api, post_event
from support.rest_objects import commit, review

from app.inbox import utcnow
from app.main import Services
from app.worker import InboxWorker

REPO = "Codertocat/Hello-World"
HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
OLD = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
DBA_POLICY = """\
required: [invariants]
invariants:
  migrations-need-dba: changed("migrations/**") => approved_by_team("@Octocoders/dba")
"""
MEMBERSHIP = "/orgs/octocoders/teams/dba/memberships/alice"


def _membership(state: str) -> httpx.Response:
    return httpx.Response(
        200, json={"url": "https://api.github.com/x", "role": "member", "state": state}
    )


async def _prove(client: httpx.AsyncClient, worker: InboxWorker) -> None:
    await post_event(client, "pull_request", load_payload("pull_request/opened"))
    assert await worker.run_once() is True


def _card(routes: dict[str, respx.Route]) -> dict[str, Any]:
    card: dict[str, Any] = json.loads(routes["complete"].calls.last.request.content)
    return card


async def test_migrations_approved_by_a_dba_team_member_pass(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    approved = [review("alice", "APPROVED", HEAD, utcnow() - timedelta(hours=1))]
    routes = mock_pull_request_api(github, policy=DBA_POLICY, reviews=approved)
    member = github.get(MEMBERSHIP).mock(return_value=_membership("active"))
    await _prove(client, worker)
    card = _card(routes)
    assert card["conclusion"] == "success", card["output"]["summary"]
    assert member.call_count == 1
    assert routes["reviews"].calls.last.request.url.params["per_page"] == "100"


async def test_an_approver_outside_the_team_fails_naming_them(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    approved = [review("alice", "APPROVED", HEAD, utcnow() - timedelta(hours=1))]
    routes = mock_pull_request_api(github, policy=DBA_POLICY, reviews=approved)
    github.get(MEMBERSHIP).mock(return_value=httpx.Response(404, json={"message": "Not Found"}))
    await _prove(client, worker)
    card = _card(routes)
    assert card["conclusion"] == "failure"
    assert 'approved_by_team("@Octocoders/dba") is false (alice)' in card["output"]["summary"]


async def test_unreadable_team_membership_is_said_not_guessed(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    approved = [review("alice", "APPROVED", HEAD, utcnow() - timedelta(hours=1))]
    routes = mock_pull_request_api(github, policy=DBA_POLICY, reviews=approved)
    member = github.get(MEMBERSHIP).mock(
        return_value=httpx.Response(403, json={"message": "Resource not accessible by integration"})
    )
    await _prove(client, worker)
    card = _card(routes)
    summary = card["output"]["summary"]
    assert card["conclusion"] == "failure"
    assert "migrations-need-dba could not be decided" in summary
    assert "team membership of @octocoders/dba could not be read" in summary
    assert "Members: read" in summary
    assert member.call_count == 1  # a permission problem is not retried


async def test_dismissed_approvals_do_not_count(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    when = utcnow() - timedelta(hours=2)
    reviews = [
        review("alice", "APPROVED", HEAD, when, 80),
        review("alice", "DISMISSED", HEAD, when, 80),
    ]
    routes = mock_pull_request_api(github, policy=DBA_POLICY, reviews=reviews)
    member = github.get(MEMBERSHIP).mock(return_value=_membership("active"))
    await _prove(client, worker)
    assert _card(routes)["conclusion"] == "failure"
    assert member.call_count == 0  # no approval left: no membership to read


async def test_an_approval_of_an_older_commit_is_a_push_after_approval(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    policy = 'required: [cepGuards]\ncep_guards:\n  fresh-approval: "!pushed_after_approval()"\n'
    now = utcnow()
    routes = mock_pull_request_api(
        github,
        policy=policy,
        reviews=[review("alice", "APPROVED", OLD, now - timedelta(hours=2))],
    )
    # the new head was committed before the approval and pushed after it
    commits = github.get(f"/repos/{REPO}/pulls/2/commits").mock(
        return_value=httpx.Response(
            200,
            json=[
                commit(OLD, "Add the index", now - timedelta(hours=5)),
                commit(HEAD, "Tune the index", now - timedelta(hours=4)),
            ],
        )
    )
    await _prove(client, worker)
    card = _card(routes)
    assert card["conclusion"] == "failure"
    assert "head is now ec26c3e" in card["output"]["summary"]
    assert commits.call_count == 1
    # approved on the head: fresh
    routes["reviews"].mock(
        return_value=httpx.Response(200, json=[review("alice", "APPROVED", HEAD, now)])
    )
    await _prove(client, worker)
    assert _card(routes)["conclusion"] == "success"


async def test_pushes_are_timed_by_the_synchronize_delivery_that_brought_them(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    policy = 'required: [invariants]\ninvariants:\n  pushed-lately: events("push", 1h) >= 1\n'
    routes = mock_pull_request_api(github, policy=policy)
    github.get(f"/repos/{REPO}/pulls/2/commits").mock(
        return_value=httpx.Response(
            200, json=[commit(HEAD, "Old work", utcnow() - timedelta(days=3))]
        )
    )
    await _prove(client, worker)  # opened: no push Maestro saw, the commit is three days old
    assert _card(routes)["conclusion"] == "failure"
    await post_event(client, "pull_request", load_payload("pull_request/synchronize"))
    assert await worker.run_once() is True
    assert _card(routes)["conclusion"] == "success"


async def test_second_revert_of_the_same_path_within_24h_blocks(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    policy = (
        'required: [cepGuards]\ncep_guards:\n  revert-storm: max_same_path("revert", 24h) < 2\n'
    )
    now = utcnow()
    routes = mock_pull_request_api(github, policy=policy)
    first = commit("1" * 40, 'Revert "Cache users"', now - timedelta(hours=20), ["src/app.py"])
    second = commit(
        "2" * 40, "Undo the retry\n\nThis reverts commit 0123.", now - timedelta(hours=3)
    )
    plain = commit("3" * 40, "Add docs", now - timedelta(hours=2))
    github.get(f"/repos/{REPO}/pulls/2/commits").mock(
        return_value=httpx.Response(200, json=[commit(HEAD, "Work", now - timedelta(hours=1))])
    )
    listing = github.get(f"/repos/{REPO}/commits").mock(
        return_value=httpx.Response(200, json=[plain, second, first])
    )
    details = {
        "1" * 40: first,
        "2" * 40: {**second, "files": [{"filename": "src/app.py", "status": "modified"}]},
    }
    detail = github.get(url__regex=rf".*/repos/{REPO}/commits/[0-9a-f]{{40}}$").mock(
        side_effect=lambda request: httpx.Response(
            200, json=details[request.url.path.rsplit("/", 1)[-1]]
        )
    )
    await _prove(client, worker)
    card = _card(routes)
    assert card["conclusion"] == "failure"
    # the rule's canonical text says 1d for 24h
    assert 'max_same_path("revert", 1d) is 2 (src/app.py' in card["output"]["summary"]
    params = listing.calls.last.request.url.params
    assert params["sha"] == "master"
    since = datetime.fromisoformat(params["since"].replace("Z", "+00:00"))
    assert timedelta(hours=23) < now - since < timedelta(hours=25)
    assert detail.call_count == 2  # only the reverts' files are read


async def test_rules_that_read_no_approvals_or_history_cost_no_requests(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    policy = 'invariants:\n  log: changed("src/**") => changed("CHANGELOG.md")\n'
    routes = mock_pull_request_api(github, policy=policy)
    await _prove(client, worker)
    assert routes["complete"].called
    assert routes["reviews"].call_count == 0
    paths = {call.request.url.path for call in github.calls}
    assert not any("/commits" in p or "/orgs/" in p for p in paths)
