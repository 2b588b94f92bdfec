"""`push` to a branch: carry the cached CodeGraph forward to the new commit by re-parsing only
the files the push changed, so the next pull request on it starts from an up-to-date graph; and
when a push to the default branch changes `.github/maestro.yml`, re-check the open pull requests
into that branch under the new policy.

Each re-check is its own internal delivery (`maestro_policy_recheck`) in the inbox, so one pull
request's trouble is retried on its own and a redelivered push queues nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from gidgethub import routing, sansio

from app import inbox
from checks.card_builder import PullRequestRef
from checks.policy.parse import POLICY_PATH
from handlers.context import HandlerContext
from handlers.graph_source import _cached, head_graph
from handlers.proof import prove_pull_request
from handlers.pull_requests import draft_skipped

log = logging.getLogger("maestro.pushes")

router = routing.Router()

ZERO_SHA = "0" * 40
MAX_COMPARE_FILES = 300  # GitHub's compare API lists at most 300 files
MAX_PUSH_COMMITS = 2048  # a push payload lists at most this many commits
MAX_RECHECK_PULLS = 100  # open pull requests re-checked after a policy change
POLICY_RECHECK_EVENT = "maestro_policy_recheck"


@router.register("push")
async def pushed(event: sansio.Event, ctx: HandlerContext) -> None:
    data = event.data
    before, after = data.get("before", ZERO_SHA), data.get("after", ZERO_SHA)
    if data.get("deleted") or ZERO_SHA in (before, after):
        ctx.outcomes.append("ignored: branch or tag created or deleted")
        return
    ref = str(data.get("ref", ""))
    if not ref.startswith("refs/heads/"):
        ctx.outcomes.append("ignored: not a branch")
        return
    branch = ref.removeprefix("refs/heads/")
    if branch == data["repository"].get("default_branch") and await _changes_policy(ctx, data):
        await _queue_rechecks(ctx, data, branch)
    await _carry_graph(ctx, data)


async def _carry_graph(ctx: HandlerContext, data: dict[str, Any]) -> None:
    before, after = data["before"], data["after"]
    repo = data["repository"]["full_name"]
    base = await _cached(ctx.sessions, repo, before)
    if base is None:
        ctx.outcomes.append(f"no cached graph for {before[:7]}: built on the next pull request")
        return
    github = await ctx.github((data.get("installation") or {}).get("id"))
    comparison = await github.compare(repo, before, after)
    # The compare lists the files changed from the merge base; after a force push that is not
    # `before`, so the update must start from the merge base's graph.
    start = comparison.merge_base or before
    if start != before:
        base = await _cached(ctx.sessions, repo, start)
        if base is None:
            ctx.outcomes.append(f"no cached graph for merge base {start[:7]}: not carried")
            return
    keep = ctx.settings.graph_snapshots_per_repo
    await head_graph(ctx.sessions, github, repo, after, base, comparison.files, keep)
    ctx.outcomes.append(f"graph {start[:7]} → {after[:7]}: {len(comparison.files)} files re-parsed")


async def _changes_policy(ctx: HandlerContext, data: dict[str, Any]) -> bool:
    """Whether the push touches the policy file: from the payload's per-commit file lists, or,
    when those may be incomplete (no commits listed, a commit too large for GitHub to list its
    files, the 2048-commit cap), from GitHub's comparison of the two commits."""
    commits = [c for c in [*(data.get("commits") or []), data.get("head_commit")] if c]
    complete = bool(commits) and len(data.get("commits") or []) < MAX_PUSH_COMMITS
    for commit in commits:
        paths = [*commit.get("added", []), *commit.get("modified", []), *commit.get("removed", [])]
        if POLICY_PATH in paths:
            return True
        complete = complete and bool(paths)
    if complete:
        return False
    github = await ctx.github((data.get("installation") or {}).get("id"))
    files = await github.compare_files(
        data["repository"]["full_name"], data["before"], data["after"]
    )
    return any(POLICY_PATH in (f.filename, f.previous_filename) for f in files)


def _recheck_id(repo: str, number: int, commit: str) -> str:
    digest = hashlib.sha256(f"{repo}#{number}@{commit}".encode()).hexdigest()[:40]
    return f"policy-recheck:{digest}"


async def _queue_rechecks(ctx: HandlerContext, data: dict[str, Any], branch: str) -> None:
    repo = data["repository"]["full_name"]
    installation_id = (data.get("installation") or {}).get("id")
    github = await ctx.github(installation_id)
    pulls = await github.list_open_pulls(repo, branch, MAX_RECHECK_PULLS + 1)
    if len(pulls) > MAX_RECHECK_PULLS:
        log.warning(
            "%s: the policy changed on %s but more than %d pull requests are open into it; "
            "only the first %d are re-checked (the others on their next event or /maestro "
            "recheck)",
            repo,
            branch,
            MAX_RECHECK_PULLS,
            MAX_RECHECK_PULLS,
        )
        ctx.outcomes.append(f"more than {MAX_RECHECK_PULLS} open pull requests: rest skipped")
        pulls = pulls[:MAX_RECHECK_PULLS]
    async with ctx.sessions() as session, session.begin():
        for pull in pulls:
            body = {
                "installation": {"id": installation_id},
                "repository": {"full_name": repo},
                "pull_request": {"number": pull["number"]},
                "policy_commit": data["after"],
            }
            await inbox.store(
                session,
                inbox.IncomingDelivery(
                    id=_recheck_id(repo, pull["number"], data["after"]),
                    event=POLICY_RECHECK_EVENT,
                    action=None,
                    installation_id=installation_id,
                    repository=repo,
                    body=json.dumps(body).encode(),
                ),
            )
    numbers = ", ".join(f"#{p['number']}" for p in pulls) or "none"
    ctx.outcomes.append(f"policy changed on {branch}: re-checking open pull requests {numbers}")


@router.register(POLICY_RECHECK_EVENT)
async def policy_recheck(event: sansio.Event, ctx: HandlerContext) -> None:
    """Prove one open pull request again under its base branch's (new) policy."""
    repo = event.data["repository"]["full_name"]
    number = int(event.data["pull_request"]["number"])
    installation_id = (event.data.get("installation") or {}).get("id")
    github = await ctx.github(installation_id)
    pull = await github.get_pull(repo, number)  # fresh: the head may have moved since
    if pull.get("state") != "open":
        ctx.outcomes.append(f"ignored: #{number} is no longer open")
        return
    ref = PullRequestRef(
        repository=repo, number=number, head_sha=pull["head"]["sha"], base_ref=pull["base"]["ref"]
    )
    if await draft_skipped(ctx, installation_id, ref, pull):
        return
    await prove_pull_request(ctx, installation_id, ref, pull=pull)
