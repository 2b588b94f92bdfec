"""`check_run` and `check_suite` re-runs: the user asked GitHub to recompute the Proof Card,
either with GitHub's own "Re-run" or with the Re-run button (`requested_action` `rerun`) a
neutral card offers when Maestro could not finish.

Every other event about check-runs and suites (created, completed, requested — including those
about Maestro's own card) has no handler here, so the worker records it as ignored: Maestro never
reacts to its own writes.
"""

from __future__ import annotations

from typing import Any

from gidgethub import routing, sansio

from app import state
from app.tables import CheckRun
from checks.card_builder import PullRequestRef
from handlers.context import HandlerContext
from handlers.proof import CHECK_RUN_NAME, prove_pull_request
from handlers.publish import RERUN_ACTION

router = routing.Router()


def _refs_from_pull_requests(
    repository: str, head_sha: str, pulls: list[dict[str, Any]]
) -> list[PullRequestRef]:
    return [
        PullRequestRef(
            repository=repository,
            number=p["number"],
            head_sha=head_sha,
            base_ref=(p.get("base") or {}).get("ref", ""),
        )
        for p in pulls
    ]


async def _known_pull(ctx: HandlerContext, repository: str, head_sha: str) -> CheckRun | None:
    async with ctx.sessions() as session:
        return await state.find_check_run(session, repository, head_sha)


async def _rerun(
    ctx: HandlerContext, event: sansio.Event, head_sha: str, pulls: list[dict[str, Any]]
) -> None:
    repository = event.data["repository"]["full_name"]
    installation_id = (event.data.get("installation") or {}).get("id")
    refs = _refs_from_pull_requests(repository, head_sha, pulls)
    if not refs:
        # GitHub omits pull_requests for forks; fall back to the PR we recorded for this head.
        known = await _known_pull(ctx, repository, head_sha)
        if known is None:
            ctx.outcomes.append(f"skipped: no pull request known for {repository}@{head_sha[:7]}")
            return
        refs = [PullRequestRef(repository=repository, number=known.pull_number, head_sha=head_sha)]
    for ref in refs:
        await prove_pull_request(ctx, installation_id, ref, reuse_open=False)


@router.register("check_run", action="rerequested")
async def check_run_rerequested(event: sansio.Event, ctx: HandlerContext) -> None:
    check_run = event.data["check_run"]
    if check_run.get("name") != CHECK_RUN_NAME:
        ctx.outcomes.append(f"ignored: re-run of another app's check {check_run.get('name')!r}")
        return
    await _rerun(ctx, event, check_run["head_sha"], check_run.get("pull_requests") or [])


@router.register("check_run", action="requested_action")
async def check_run_requested_action(event: sansio.Event, ctx: HandlerContext) -> None:
    check_run = event.data["check_run"]
    identifier = (event.data.get("requested_action") or {}).get("identifier")
    if check_run.get("name") != CHECK_RUN_NAME:
        ctx.outcomes.append(f"ignored: action on another app's check {check_run.get('name')!r}")
        return
    if identifier != RERUN_ACTION["identifier"]:
        ctx.outcomes.append(f"ignored: unknown action {identifier!r}")
        return
    await _rerun(ctx, event, check_run["head_sha"], check_run.get("pull_requests") or [])


@router.register("check_suite", action="rerequested")
async def check_suite_rerequested(event: sansio.Event, ctx: HandlerContext) -> None:
    suite = event.data["check_suite"]
    await _rerun(ctx, event, suite["head_sha"], suite.get("pull_requests") or [])
