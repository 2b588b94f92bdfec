"""Reviews re-prove the pull request (approval rules change); a PR that edits the policy gets it
validated on the card; a push of a new policy to the default branch re-checks the open PRs."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import respx
from sqlalchemy import select
from support.github import load_payload, mock_pull_request_api, post_event
from support.rest_objects import review

from app.inbox import utcnow
from app.main import Services
from app.tables import Delivery
from app.worker import InboxWorker
from handlers.pushes import MAX_RECHECK_PULLS

REPO = "Codertocat/Hello-World"
HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
MEMBERSHIP = "/orgs/octocoders/teams/dba/memberships/alice"
DBA_POLICY = """\
required: [invariants]
invariants:
  migrations-need-dba: changed("migrations/**") => approved_by_team("@Octocoders/dba")
"""


def _approved(payload: dict[str, Any]) -> dict[str, Any]:
    """The real `submitted` example is a comment review; the same review approving."""
    payload["review"]["state"] = "approved"
    return payload


async def test_an_approving_review_re_proves_the_pull_request(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    approvals = [review("Codertocat", "APPROVED", HEAD, utcnow() - timedelta(minutes=5))]
    routes = mock_pull_request_api(github, policy=DBA_POLICY, reviews=approvals)
    github.get("/orgs/octocoders/teams/dba/memberships/Codertocat").mock(
        return_value=httpx.Response(200, json={"url": "u", "role": "member", "state": "active"})
    )
    payload = _approved(load_payload("pull_request_review/submitted.with-organization"))
    await post_event(client, "pull_request_review", payload)
    assert await worker.run_once() is True
    card = json.loads(routes["complete"].calls.last.request.content)
    assert card["conclusion"] == "success"
    assert routes["create"].calls.last.request.url.path.endswith("/check-runs")
    assert json.loads(routes["create"].calls.last.request.content)["head_sha"] == HEAD


async def test_a_dismissed_review_re_proves_and_the_approval_is_gone(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    payload = load_payload("pull_request_review/dismissed")
    dismissed = payload["review"]
    when = utcnow() - timedelta(hours=1)
    reviews = [
        review("Codertocat", "DISMISSED", dismissed["commit_id"], when, dismissed["id"]),
    ]
    routes = mock_pull_request_api(github, policy=DBA_POLICY, reviews=reviews)
    await post_event(client, "pull_request_review", payload)
    assert await worker.run_once() is True
    card = json.loads(routes["complete"].calls.last.request.content)
    assert card["conclusion"] == "failure"
    assert 'approved_by_team("@Octocoders/dba") is false' in card["output"]["summary"]


async def test_reviews_are_ignored_when_nothing_can_change(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    routes = mock_pull_request_api(github, policy="required: [riskCap]\n")
    # the real example: a comment review changes no approval
    await post_event(client, "pull_request_review", load_payload("pull_request_review/submitted"))
    assert await worker.run_once() is True
    assert routes["policy"].call_count == 0
    # an approval, but no rule reads approvals
    payload = _approved(load_payload("pull_request_review/submitted"))
    await post_event(client, "pull_request_review", payload)
    assert await worker.run_once() is True
    assert routes["policy"].call_count == 1 and routes["create"].call_count == 0


PROPOSED = """\
version: 1
thresholds:
  mutationScore: 1.5
invariants:
  changelog: 'changed("api/**") => changed("CHANGELOG.md"'
"""
POLICY_CHANGE = {
    "sha": "dddd538c8e72b8c175046e27cc8f907076331401",
    "filename": ".github/maestro.yml",
    "status": "modified",
    "additions": 5,
    "deletions": 1,
    "changes": 6,
    "blob_url": "https://github.com/o/r/blob/x/.github/maestro.yml",
    "raw_url": "https://github.com/o/r/raw/x/.github/maestro.yml",
    "contents_url": "https://api.github.com/repos/o/r/contents/.github/maestro.yml?ref=x",
    "patch": "@@ -1 +1,5 @@\n-version: 1\n+version: 1",
}


async def test_a_pr_editing_the_policy_gets_it_validated_while_the_base_policy_gates(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    routes = mock_pull_request_api(github, policy="required: [riskCap]\n", files=[POLICY_CHANGE])
    policy_at = {"master": "required: [riskCap]\n", HEAD: PROPOSED}
    routes["policy"].mock(
        side_effect=lambda request: _contents_at(policy_at[request.url.params["ref"]])
    )
    await post_event(client, "pull_request", load_payload("pull_request/opened"))
    assert await worker.run_once() is True
    assert sorted(c.request.url.params["ref"] for c in routes["policy"].calls) == [HEAD, "master"]
    card = json.loads(routes["complete"].calls.last.request.content)
    assert card["conclusion"] == "success"  # the base branch's policy decides
    summary = card["output"]["summary"]
    assert "#### Proposed policy (not in force until merged)" in summary
    assert "has 2 problems" in summary
    assert "`.github/maestro.yml:3:" in summary and "thresholds.mutationScore" in summary
    assert "`.github/maestro.yml:5:" in summary
    annotations = card["output"]["annotations"]
    assert [(a["path"], a["start_line"], a["annotation_level"]) for a in annotations] == [
        (".github/maestro.yml", 3, "failure"),
        (".github/maestro.yml", 5, "failure"),
    ]
    # a valid proposal says so
    policy_at[HEAD] = "required: [riskCap, invariants]\n"
    await post_event(client, "pull_request", load_payload("pull_request/opened"))
    assert await worker.run_once() is True
    card = json.loads(routes["complete"].calls.last.request.content)
    assert "is valid" in card["output"]["summary"]
    assert "annotations" not in card["output"]
    # a PR fixing a broken base policy: the base still gates (and fails), the fix is shown valid
    policy_at["master"] = "thresholds:\n  riskCap: 7\n"
    await post_event(client, "pull_request", load_payload("pull_request/opened"))
    assert await worker.run_once() is True
    card = json.loads(routes["complete"].calls.last.request.content)
    assert card["conclusion"] == "failure"
    assert ".github/maestro.yml is invalid" in card["output"]["summary"]
    assert "#### Proposed policy (not in force until merged)" in card["output"]["summary"]
    assert "at `ec26c3e` is valid" in card["output"]["summary"]


def _contents_at(text: str) -> httpx.Response:
    from support.github import contents_response

    return contents_response(text)


def _policy_push() -> dict[str, Any]:
    """The real push example (a tag deletion) made a push of one commit to the default branch
    that edits the policy."""
    payload = load_payload("push/with-installation")
    after = "4" * 40
    payload.update(
        ref="refs/heads/master",
        after=after,
        deleted=False,
        compare=f"https://github.com/{REPO}/compare/6113728f27ae...{after[:12]}",
    )
    head_commit = {
        "id": after,
        "tree_id": "5" * 40,
        "distinct": True,
        "message": "Require a DBA approval for migrations",
        "timestamp": "2026-11-28T09:00:00Z",
        "url": f"https://github.com/{REPO}/commit/{after}",
        "author": {"name": "Codertocat", "email": "c@example.com", "username": "Codertocat"},
        "committer": {"name": "Codertocat", "email": "c@example.com", "username": "Codertocat"},
        "added": [],
        "removed": [],
        "modified": [".github/maestro.yml"],
    }
    payload.update(commits=[head_commit], head_commit=head_commit)
    return payload


def _open_pull(number: int) -> dict[str, Any]:
    pull = load_payload("pull_request/opened")["pull_request"]
    return {**pull, "number": number}


async def test_a_new_policy_on_the_default_branch_re_checks_open_pull_requests(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    routes = mock_pull_request_api(github, policy=DBA_POLICY)
    listing = github.get(f"/repos/{REPO}/pulls").mock(
        return_value=httpx.Response(200, json=[_open_pull(2)])
    )
    github.get(MEMBERSHIP).mock(return_value=httpx.Response(404, json={"message": "Not Found"}))
    payload = _policy_push()
    await post_event(client, "push", payload)
    assert await worker.run_once() is True  # the push: queues the re-check
    params = listing.calls.last.request.url.params
    assert (params["state"], params["base"]) == ("open", "master")
    assert routes["create"].call_count == 0
    assert await worker.run_once() is True  # the re-check of #2 under the new policy
    card = json.loads(routes["complete"].calls.last.request.content)
    assert card["conclusion"] == "failure"
    assert "migrations-need-dba does not hold" in card["output"]["summary"]
    assert await worker.run_once() is False
    # the same push delivered again, even under a new delivery id, queues nothing twice
    await post_event(client, "push", payload)
    assert await worker.run_once() is True
    assert await worker.run_once() is False
    assert routes["create"].call_count == 1


async def test_pushes_that_do_not_touch_the_policy_or_the_default_branch_re_check_nothing(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    mock_pull_request_api(github)
    listing = github.get(f"/repos/{REPO}/pulls").mock(return_value=httpx.Response(200, json=[]))
    other_file = _policy_push()
    other_file["head_commit"]["modified"] = ["README.md"]
    await post_event(client, "push", other_file)
    other_branch = _policy_push()
    other_branch["ref"] = "refs/heads/feature"
    await post_event(client, "push", other_branch)
    while await worker.run_once():
        pass
    assert listing.call_count == 0


async def test_too_many_open_pull_requests_are_bounded(
    client: httpx.AsyncClient, services: Services, worker: InboxWorker, github: respx.MockRouter
) -> None:
    mock_pull_request_api(github)
    many = [_open_pull(n) for n in range(1, MAX_RECHECK_PULLS + 2)]
    github.get(f"/repos/{REPO}/pulls").mock(return_value=httpx.Response(200, json=many))
    await post_event(client, "push", _policy_push())
    assert await worker.run_once() is True
    async with services.sessions() as session:
        queued = (
            await session.execute(
                select(Delivery).where(Delivery.event == "maestro_policy_recheck")
            )
        ).scalars()
        assert len(list(queued)) == MAX_RECHECK_PULLS
        push = (
            await session.execute(select(Delivery).where(Delivery.event == "push"))
        ).scalar_one()
    assert push.status == "done"
