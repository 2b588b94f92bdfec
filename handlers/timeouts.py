"""Internal `maestro_evidence_timeout` deliveries: re-evaluate a card whose CI evidence is late.

`handlers/proof.py` schedules one in the inbox when a card is left waiting; if the card is still
in progress when it fires, the missing evidence now fails with that reason. When the pull
request's head has moved on (a newer push has its own card), the timeout does nothing to the
old head: its card was superseded, and re-evaluating it against the pull request's current
files would judge the wrong change.
"""

from __future__ import annotations

from gidgethub import routing, sansio
from sqlalchemy import select

from app import state
from app.tables import CheckRun
from checks.card_builder import PullRequestRef
from handlers.context import HandlerContext
from handlers.proof import EVIDENCE_TIMEOUT_EVENT, prove_pull_request

router = routing.Router()


async def _newer_head(ctx: HandlerContext, repository: str, number: int, head_sha: str) -> str:
    """The head of a card Maestro made for this pull request after this head's, if any."""
    async with ctx.sessions() as session:
        mine = await state.find_check_run(session, repository, head_sha)
        if mine is None:
            return ""
        newer = await session.scalar(
            select(CheckRun.head_sha)
            .where(
                CheckRun.repository == repository,
                CheckRun.pull_number == number,
                CheckRun.head_sha != head_sha,
                CheckRun.created_at > mine.created_at,
            )
            .order_by(CheckRun.created_at.desc())
            .limit(1)
        )
    return newer or ""


@router.register(EVIDENCE_TIMEOUT_EVENT)
async def evidence_timeout(event: sansio.Event, ctx: HandlerContext) -> None:
    repository = event.data["repository"]["full_name"]
    pull = event.data["pull_request"]
    head_sha = pull["head"]["sha"]
    async with ctx.sessions() as session:
        waiting = await state.find_check_run(session, repository, head_sha, status="in_progress")
    if waiting is None:
        ctx.outcomes.append("evidence arrived in time: nothing to do")
        return
    newer = await _newer_head(ctx, repository, pull["number"], head_sha)
    if newer:
        ctx.outcomes.append(f"skipped: {head_sha[:7]} was superseded by {newer[:7]}")
        return
    ref = PullRequestRef(repository=repository, number=pull["number"], head_sha=head_sha)
    # prove_pull_request reads the pull request first and skips too if its head has moved.
    await prove_pull_request(ctx, event.data["installation"]["id"], ref)
