"""`push` to a branch: carry the cached CodeGraph forward to the new commit by re-parsing only
the files the push changed, so the next pull request on it starts from an up-to-date graph."""

from __future__ import annotations

from gidgethub import routing, sansio

from handlers.context import HandlerContext
from handlers.graph_source import _cached, head_graph

router = routing.Router()

ZERO_SHA = "0" * 40
MAX_COMPARE_FILES = 300  # GitHub's compare API lists at most 300 files


@router.register("push")
async def pushed(event: sansio.Event, ctx: HandlerContext) -> None:
    data = event.data
    before, after = data.get("before", ZERO_SHA), data.get("after", ZERO_SHA)
    if data.get("deleted") or ZERO_SHA in (before, after):
        ctx.outcomes.append("ignored: branch or tag created or deleted")
        return
    if not str(data.get("ref", "")).startswith("refs/heads/"):
        ctx.outcomes.append("ignored: not a branch")
        return
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
