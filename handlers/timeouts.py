"""Internal `maestro_evidence_timeout` deliveries: re-evaluate a card whose CI evidence is late.

`handlers/proof.py` schedules one in the inbox when a card is left waiting; if the card is still
in progress when it fires, the missing evidence now fails with that reason.
"""

from __future__ import annotations

from gidgethub import routing, sansio

from app import state
from checks.card_builder import PullRequestRef
from handlers.context import HandlerContext
from handlers.proof import EVIDENCE_TIMEOUT_EVENT, prove_pull_request

router = routing.Router()


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
    ref = PullRequestRef(repository=repository, number=pull["number"], head_sha=head_sha)
    await prove_pull_request(ctx, event.data["installation"]["id"], ref)
