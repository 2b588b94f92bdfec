"""`pull_request` events: a new or updated head gets a fresh Proof Card."""

from __future__ import annotations

from gidgethub import routing, sansio

from checks.card_builder import PullRequestRef
from handlers.context import HandlerContext
from handlers.proof import prove_pull_request

router = routing.Router()


def pull_request_ref(event: sansio.Event) -> PullRequestRef:
    pull = event.data["pull_request"]
    return PullRequestRef(
        repository=event.data["repository"]["full_name"],
        number=pull["number"],
        head_sha=pull["head"]["sha"],
        base_ref=pull["base"]["ref"],
    )


@router.register("pull_request", action="opened")
@router.register("pull_request", action="reopened")
@router.register("pull_request", action="synchronize")
@router.register("pull_request", action="ready_for_review")
async def pull_request_changed(event: sansio.Event, ctx: HandlerContext) -> None:
    pull = event.data["pull_request"]
    if pull.get("draft") and not ctx.settings.process_drafts:
        ctx.outcomes.append("skipped: draft pull request (set MAESTRO_PROCESS_DRAFTS=true)")
        return
    installation_id = (event.data.get("installation") or {}).get("id")
    await prove_pull_request(ctx, installation_id, pull_request_ref(event), pull=pull)
