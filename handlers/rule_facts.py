"""Facts for the policy's invariants and CEP guards, read from GitHub — only those the rules use
(`checks.rules.needs`): reviews and their commits, team memberships of the teams the rules
name, pushes (the pull request's commits, timed by the `synchronize` deliveries Maestro stored)
and revert commits on the base branch within the longest window a rule looks at.

Team memberships are cached for the delivery (`HandlerContext.memberships`): a waiver and the
card it recomputes ask GitHub once per (team, user). A 403 on a team means the installation
lacks the organization `members: read` permission; the team's facts are then unknown, never
silently true or false.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.inbox import as_utc
from app.tables import Delivery
from checks.changes import FileChange
from checks.policy.model import Policy
from checks.rules.facts import PrEvent, PullRequestFacts, team_slug
from checks.rules.local import is_revert
from checks.rules.needs import FactNeeds, policy_needs
from handlers.context import HandlerContext
from handlers.gather import pull_request_facts
from handlers.port import GitHubPort

log = logging.getLogger("maestro.facts")

MAX_BASE_COMMITS = 300  # base-branch commits scanned for reverts
MAX_REVERT_LOOKUPS = 30  # revert commits whose files are read (one request each)
MAX_SYNC_DELIVERIES = 100  # stored `synchronize` deliveries read to time pushes


async def team_state(ctx: HandlerContext, github: GitHubPort, team: str, login: str) -> str:
    """GitHub's membership state of `login` in '@org/team' (active, pending, none, unknown),
    asked once per delivery."""
    slug = team_slug(team)
    key = (slug, login.lower())
    if key not in ctx.memberships:
        org, _, name = slug.partition("/")
        if not org or not name or not login:
            ctx.memberships[key] = "none"
        else:
            ctx.memberships[key] = await github.team_membership(org, name, login)
    return ctx.memberships[key]


async def gather_rule_facts(
    ctx: HandlerContext,
    github: GitHubPort,
    repo: str,
    pull: dict[str, Any],
    files: list[FileChange],
    policy: Policy,
    now: datetime,
) -> PullRequestFacts:
    """`PullRequestFacts` with what the policy's rules read, and nothing they don't."""
    needs = policy_needs(policy)
    number = int(pull.get("number") or 0)
    reviews = await github.list_reviews(repo, number) if needs.reviews else []
    facts = pull_request_facts(pull, files, reviews, now)
    if needs.teams:
        facts = await _with_teams(ctx, github, facts, needs)
    if not needs.pushes and needs.revert_lookback_seconds is None:
        return facts
    commits = await github.list_pull_commits(repo, number)
    events = list(facts.events)
    if needs.pushes:
        events += await _push_events(ctx, repo, number, commits)
    if needs.revert_lookback_seconds is not None:
        since = now - timedelta(seconds=needs.revert_lookback_seconds)
        base_ref = (pull.get("base") or {}).get("ref", "")
        events += await _revert_events(github, repo, base_ref, commits, since)
    return facts.model_copy(update={"events": events})


async def _with_teams(
    ctx: HandlerContext, github: GitHubPort, facts: PullRequestFacts, needs: FactNeeds
) -> PullRequestFacts:
    unknown: dict[str, str] = {}
    approvals = []
    for approval in facts.approvals:
        teams = list(approval.teams)
        for team in needs.approver_teams:
            state = await team_state(ctx, github, team, approval.user)
            if state == "active":
                teams.append(team)
            elif state == "unknown":
                unknown[team] = "forbidden"
        approvals.append(approval.model_copy(update={"teams": teams}))
    author_teams = list(facts.author_teams)
    for team in needs.author_teams:
        state = await team_state(ctx, github, team, facts.author)
        if state == "active":
            author_teams.append(team)
        elif state == "unknown":
            unknown[team] = "forbidden"
    if unknown:
        log.warning(
            "team membership unreadable (no members: read permission?): %s", ", ".join(unknown)
        )
    return facts.model_copy(
        update={"approvals": approvals, "author_teams": author_teams, "unknown_teams": unknown}
    )


def _when(value: str | None) -> datetime | None:
    return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00"))) if value else None


def _committed_at(item: dict[str, Any]) -> datetime | None:
    commit = item.get("commit") or {}
    return _when((commit.get("committer") or {}).get("date")) or _when(
        (commit.get("author") or {}).get("date")
    )


def _actor(item: dict[str, Any]) -> str:
    return str(
        (item.get("author") or {}).get("login") or (item.get("committer") or {}).get("login") or ""
    )


async def _synchronize_times(
    ctx: HandlerContext, repo: str, number: int
) -> list[tuple[datetime, str, str]]:
    """(received, before, after) of the `synchronize` deliveries stored for this pull request."""
    async with ctx.sessions() as session:
        rows = (
            await session.execute(
                select(Delivery.received_at, Delivery.body)
                .where(
                    Delivery.event == "pull_request",
                    Delivery.action == "synchronize",
                    Delivery.repository == repo,
                )
                .order_by(Delivery.received_at.desc())
                .limit(MAX_SYNC_DELIVERIES)
            )
        ).all()
    out = []
    for received, body in rows:
        try:
            data = json.loads(body)
        except ValueError:
            continue
        if (data.get("pull_request") or {}).get("number") == number:
            out.append((as_utc(received), str(data.get("before", "")), str(data.get("after", ""))))
    return sorted(out)


async def _push_events(
    ctx: HandlerContext, repo: str, number: int, commits: list[dict[str, Any]]
) -> list[PrEvent]:
    """One push event per commit of the pull request, at the time Maestro saw it arrive (the
    stored `synchronize` delivery that brought it) or else at its committer date."""
    index = {str(c.get("sha")): i for i, c in enumerate(commits)}
    pushed_at: dict[int, datetime] = {}
    for received, before, after in await _synchronize_times(ctx, repo, number):
        last = index.get(after)
        if last is None:
            continue
        for i in range(index.get(before, -1) + 1, last + 1):
            pushed_at.setdefault(i, received)
    events = []
    for i, item in enumerate(commits):
        at = pushed_at.get(i) or _committed_at(item)
        if at is not None:
            events.append(PrEvent(kind="push", at=at, actor=_actor(item), sha=str(item.get("sha"))))
    return events


async def _revert_events(
    github: GitHubPort,
    repo: str,
    base_ref: str,
    pull_commits: list[dict[str, Any]],
    since: datetime,
) -> list[PrEvent]:
    """Revert commits on the base branch since `since`, and the pull request's own, with the
    paths each touched (bounded: at most MAX_REVERT_LOOKUPS commits are read)."""
    base = await github.list_commits(repo, base_ref, since, MAX_BASE_COMMITS) if base_ref else []
    if len(base) >= MAX_BASE_COMMITS:
        log.warning(
            "%s: more than %d commits on %s since %s; reverts among older ones are not counted",
            repo,
            MAX_BASE_COMMITS,
            base_ref,
            since.isoformat(),
        )
    seen: set[str] = set()
    reverts = []
    for item in [*pull_commits, *base]:
        sha = str(item.get("sha"))
        if sha not in seen and is_revert(str((item.get("commit") or {}).get("message", ""))):
            seen.add(sha)
            reverts.append(item)
    if len(reverts) > MAX_REVERT_LOOKUPS:
        log.warning(
            "%s: %d revert commits; reading the files of the first %d",
            repo,
            len(reverts),
            MAX_REVERT_LOOKUPS,
        )
    events = []
    for item in reverts[:MAX_REVERT_LOOKUPS]:
        at = _committed_at(item)
        if at is None:
            continue
        detail = await github.get_commit(repo, str(item.get("sha")))
        paths = [str(f.get("filename")) for f in detail.get("files") or [] if f.get("filename")]
        events.append(
            PrEvent(kind="revert", at=at, actor=_actor(item), sha=str(item.get("sha")), paths=paths)
        )
    return events
