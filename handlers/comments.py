"""`issue_comment` on a pull request: `/maestro` slash commands (waive, recheck, help).

Acting commands need write access on the repository (GitHub's collaborator permission API);
a waiver must also pass the policy's waiver rules (role, waivable obligation, duration).
Every reply and every waiver decision is recorded in the ledger.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gidgethub import routing, sansio

from app.inbox import utcnow
from app.ledger_store import LedgerRecord, append
from app.render import markdown_env
from app.tables import WaiverRecord
from checks.card_builder import PullRequestRef
from checks.commands import USAGE, Command, CommandError, parse_command
from checks.explain import waiver_sentence
from checks.obligations.waivers import Waiver, decide_waiver
from checks.policy.model import PERMISSION_RANK
from checks.policy.parse import PolicyError
from handlers.context import HandlerContext
from handlers.gather import read_policy
from handlers.port import GitHubPort
from handlers.proof import prove_pull_request

router = routing.Router()


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
    if PERMISSION_RANK.get(permission, 0) < PERMISSION_RANK["write"]:
        await _reply(
            ctx,
            github,
            installation_id,
            repo,
            number,
            "forbidden",
            user=user,
            command=command.name,
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
    waiver = Waiver(
        obligation=command.obligation,
        by=user,
        reason=command.reason,
        permission=permission,
        created_at=now,
        expires_at=now + timedelta(days=command.days) if command.days else None,
        head_sha=ref.head_sha,
    )
    decision = decide_waiver(policy, waiver, now, ref.head_sha)
    async with ctx.sessions() as session, session.begin():
        if decision.allowed:
            session.add(
                WaiverRecord(
                    repository=ref.repository,
                    pull_number=ref.number,
                    obligation=command.obligation,
                    reason=command.reason,
                    granted_by=user,
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
                    "obligation": command.obligation,
                    "head_sha": ref.head_sha,
                    "reason": command.reason,
                    "decision": decision.reason,
                    "expires_at": decision.expires_at.isoformat() if decision.expires_at else None,
                },
            ),
        )
    if decision.allowed:
        await _reply(
            ctx,
            github,
            installation_id,
            ref.repository,
            ref.number,
            "waived",
            obligation=command.obligation,
            head_sha=ref.head_sha,
            user=user,
            expires=decision.expires_at.strftime("%Y-%m-%d") if decision.expires_at else "",
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
    )
    return False
