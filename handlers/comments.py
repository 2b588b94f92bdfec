"""`issue_comment` on a pull request: `/maestro` slash commands (waive, recheck, help).

`/maestro waive` is decided by the policy's waiver rules alone (`decide_waiver`): the author's
repository role as GitHub names it (`role_name` of the collaborator permission API, so triage
and maintain count), the users the policy lists, and the members of the teams it lists (read
through the team membership API, cached for the delivery). `/maestro recheck` needs write
access (Fix-It actions are for writers, per the security standard). Every reply and every
waiver decision is recorded in the ledger.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from gidgethub import routing, sansio

from app.inbox import utcnow
from app.ledger_store import LedgerRecord, append
from app.render import markdown_env
from app.tables import WaiverRecord
from checks.card_builder import PullRequestRef
from checks.commands import USAGE, Command, CommandError, parse_command
from checks.explain import waiver_sentence
from checks.obligations.waivers import Waiver, WaiverDecision, decide_waiver, last_day
from checks.policy.model import PERMISSION_RANK, Policy
from checks.policy.parse import PolicyError
from handlers.context import HandlerContext
from handlers.gather import read_policy
from handlers.port import GitHubPort
from handlers.proof import prove_pull_request
from handlers.rule_facts import team_state

router = routing.Router()

RECHECK_PERMISSION = "write"


async def _reply(
    ctx: HandlerContext,
    github: GitHubPort,
    installation_id: int,
    repo: str,
    number: int,
    outcome: str,
    **fields: Any,
) -> None:
    body = markdown_env().get_template("command_reply.md.j2").render(outcome=outcome, **fields)
    comment_id = await github.create_issue_comment(repo, number, body)
    async with ctx.sessions() as session, session.begin():
        await append(
            session,
            LedgerRecord(
                kind="comment.posted",
                installation_id=installation_id,
                repository=repo,
                subject=f"pr:{repo}#{number}",
                payload={"comment_id": comment_id, "outcome": outcome, "delivery": ctx.delivery_id},
            ),
        )
    ctx.outcomes.append(f"replied: {outcome}")


@router.register("issue_comment", action="created")
async def comment_created(event: sansio.Event, ctx: HandlerContext) -> None:
    issue = event.data["issue"]
    comment = event.data["comment"]
    user = (comment.get("user") or {}).get("login", "")
    if not issue.get("pull_request") or (comment.get("user") or {}).get("type") == "Bot":
        ctx.outcomes.append("ignored: not a human comment on a pull request")
        return
    command = parse_command(comment.get("body"))
    if command is None:
        ctx.outcomes.append("ignored: no /maestro command")
        return
    repo = event.data["repository"]["full_name"]
    number = issue["number"]
    installation_id = (event.data.get("installation") or {}).get("id")
    github = await ctx.github(installation_id)
    assert installation_id is not None
    if isinstance(command, CommandError):
        await _reply(
            ctx,
            github,
            installation_id,
            repo,
            number,
            "error",
            message=command.message,
            usage=USAGE,
        )
        return
    if command.name == "help":
        await _reply(ctx, github, installation_id, repo, number, "help", min_permission="maintain")
        return
    permission = await github.permission_of(repo, user)
    if command.name == "recheck" and (
        PERMISSION_RANK.get(permission, 0) < PERMISSION_RANK[RECHECK_PERMISSION]
    ):
        await _reply(
            ctx,
            github,
            installation_id,
            repo,
            number,
            "forbidden",
            user=user,
            command=command.name,
            needed=RECHECK_PERMISSION,
            permission=permission,
        )
        return
    pull = await github.get_pull(repo, number)
    ref = PullRequestRef(
        repository=repo,
        number=number,
        head_sha=pull["head"]["sha"],
        base_ref=pull["base"]["ref"],
    )
    if command.name == "waive":
        granted = await _waive(ctx, github, installation_id, ref, command, user, permission)
        if not granted:
            return
    await prove_pull_request(ctx, installation_id, ref, pull=pull, reuse_open=True)


def _expiry(command: Command, now: datetime) -> datetime | None:
    """`--until D` runs to the end of day D (UTC); `--days N` for N days; else the default."""
    if command.until is not None:
        return datetime.combine(command.until + timedelta(days=1), time(0), tzinfo=UTC)
    if command.days is not None:
        return now + timedelta(days=command.days)
    return None


async def _waiver_teams(
    ctx: HandlerContext, github: GitHubPort, policy: Policy, user: str, permission: str
) -> tuple[list[str], list[str]]:
    """(teams of `waivers.teams` the user is an active member of, those that could not be
    read). Teams are asked only when the role and the users list do not already allow."""
    rules = policy.waivers
    if PERMISSION_RANK.get(permission, 0) >= PERMISSION_RANK[rules.min_permission] or (
        user.lower() in {u.lower().lstrip("@") for u in rules.users}
    ):
        return [], []
    member, unknown = [], []
    for team in rules.teams:
        state = await team_state(ctx, github, team, user)
        if state == "active":
            member.append(team)
        elif state == "unknown":
            unknown.append(team)
    return member, unknown


async def _waive(
    ctx: HandlerContext,
    github: GitHubPort,
    installation_id: int,
    ref: PullRequestRef,
    command: Command,
    user: str,
    permission: str,
) -> bool:
    policy = await read_policy(github, ref.repository, ref.base_ref)
    if isinstance(policy, PolicyError):
        await _reply(ctx, github, installation_id, ref.repository, ref.number, "policy_invalid")
        return False
    now = utcnow()
    teams, teams_unknown = await _waiver_teams(ctx, github, policy, user, permission)
    owner = command.owner or user
    waiver = Waiver(
        obligation=command.obligation,
        by=user,
        owner=owner,
        reason=command.reason,
        permission=permission,
        teams=teams,
        teams_unknown=teams_unknown,
        created_at=now,
        expires_at=_expiry(command, now),
        head_sha=ref.head_sha,
    )
    decision = decide_waiver(policy, waiver, now, ref.head_sha)
    await _record(ctx, installation_id, ref, command, user, owner, decision, now)
    if decision.allowed:
        await _reply(
            ctx,
            github,
            installation_id,
            ref.repository,
            ref.number,
            "waived",
            obligation=decision.obligation,
            head_sha=ref.head_sha,
            user=user,
            owner=owner,
            expires=last_day(decision.expires_at).isoformat() if decision.expires_at else "",
            reason=command.reason,
        )
        return True
    await _reply(
        ctx,
        github,
        installation_id,
        ref.repository,
        ref.number,
        "waiver_refused",
        obligation=command.obligation,
        why=waiver_sentence(decision),
        decision=decision,
        user=user,
    )
    return False


async def _record(
    ctx: HandlerContext,
    installation_id: int,
    ref: PullRequestRef,
    command: Command,
    user: str,
    owner: str,
    decision: WaiverDecision,
    now: datetime,
) -> None:
    async with ctx.sessions() as session, session.begin():
        if decision.allowed:
            session.add(
                WaiverRecord(
                    repository=ref.repository,
                    pull_number=ref.number,
                    obligation=decision.obligation,
                    reason=command.reason,
                    granted_by=user,
                    owner=owner,
                    head_sha=ref.head_sha,
                    expires_at=decision.expires_at,
                    created_at=now,
                )
            )
        await append(
            session,
            LedgerRecord(
                kind="waiver.granted" if decision.allowed else "waiver.refused",
                actor=user,
                installation_id=installation_id,
                repository=ref.repository,
                subject=f"pr:{ref.repository}#{ref.number}",
                payload={
                    "obligation": decision.obligation,
                    "head_sha": ref.head_sha,
                    "reason": command.reason,
                    "owner": owner,
                    "permission": decision.permission,
                    "decision": decision.reason,
                    "expires_at": decision.expires_at.isoformat() if decision.expires_at else None,
                },
            ),
        )
