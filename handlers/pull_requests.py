"""`pull_request` events: a new or updated head gets a fresh Proof Card.

Draft pull requests follow the base branch policy's `drafts` (check, neutral, skip); without
one, MAESTRO_PROCESS_DRAFTS decides (false: skip, true: check).
"""

from __future__ import annotations

from typing import Any

from gidgethub import routing, sansio

from checks.card_builder import PullRequestRef
from checks.policy.model import Policy
from handlers.context import HandlerContext
from handlers.gather import read_policy
from handlers.proof import draft_mode, prove_pull_request

router = routing.Router()


def pull_request_ref(event: sansio.Event) -> PullRequestRef:
    pull = event.data["pull_request"]
    return PullRequestRef(
        repository=event.data["repository"]["full_name"],
        number=pull["number"],
        head_sha=pull["head"]["sha"],
        base_ref=pull["base"]["ref"],
    )


async def draft_skipped(
    ctx: HandlerContext, installation_id: int | None, ref: PullRequestRef, pull: dict[str, Any]
) -> bool:
    """True (and the outcome noted) when `pull` is a draft its base policy says to skip."""
    if not pull.get("draft"):
        return False
    github = await ctx.github(installation_id)
    policy = await read_policy(github, ref.repository, ref.base_ref)
    mode = draft_mode(policy if isinstance(policy, Policy) else None, ctx.settings.process_drafts)
    if mode != "skip":
        return False
    ctx.outcomes.append(
        "skipped: draft pull request (policy `drafts: skip`)"
        if isinstance(policy, Policy) and policy.drafts
        else "skipped: draft pull request (set MAESTRO_PROCESS_DRAFTS=true)"
    )
    return True


@router.register("pull_request", action="opened")
@router.register("pull_request", action="reopened")
@router.register("pull_request", action="synchronize")
@router.register("pull_request", action="ready_for_review")
async def pull_request_changed(event: sansio.Event, ctx: HandlerContext) -> None:
    pull = event.data["pull_request"]
    installation_id = (event.data.get("installation") or {}).get("id")
    ref = pull_request_ref(event)
    if await draft_skipped(ctx, installation_id, ref, pull):
        return
    await prove_pull_request(ctx, installation_id, ref, pull=pull)
