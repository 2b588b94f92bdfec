"""`pull_request_review` submitted or dismissed: approvals changed, so the Proof Card is proved
again — when the base branch's policy has a rule that reads approvals (`approved_by…`,
`approvals()`, `pushed_after_approval()`, an `invalidate_approvals` guard). A review that only
comments changes no approval and is ignored.
"""

from __future__ import annotations

from gidgethub import routing, sansio

from checks.card_builder import PullRequestRef
from checks.policy.parse import PolicyError
from checks.rules.needs import policy_needs
from handlers.context import HandlerContext
from handlers.gather import read_policy
from handlers.proof import prove_pull_request
from handlers.pull_requests import draft_skipped

router = routing.Router()


@router.register("pull_request_review", action="submitted")
@router.register("pull_request_review", action="dismissed")
async def review_changed(event: sansio.Event, ctx: HandlerContext) -> None:
    review = event.data["review"]
    pull = event.data["pull_request"]
    if pull.get("state") != "open":
        ctx.outcomes.append("ignored: review on a closed pull request")
        return
    if event.data.get("action") == "submitted" and str(review.get("state")).lower() == "commented":
        ctx.outcomes.append("ignored: a comment review changes no approval")
        return
    repo = event.data["repository"]["full_name"]
    installation_id = (event.data.get("installation") or {}).get("id")
    github = await ctx.github(installation_id)
    ref = PullRequestRef(
        repository=repo,
        number=pull["number"],
        head_sha=pull["head"]["sha"],
        base_ref=pull["base"]["ref"],
    )
    policy = await read_policy(github, repo, ref.base_ref)
    if isinstance(policy, PolicyError):
        ctx.outcomes.append("ignored: the base policy is invalid (the card already says so)")
        return
    if not policy_needs(policy).reviews:
        ctx.outcomes.append("ignored: no rule of the policy reads approvals")
        return
    if await draft_skipped(ctx, installation_id, ref, pull):
        return
    await prove_pull_request(ctx, installation_id, ref, pull=pull)
