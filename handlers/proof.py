"""Computes and publishes the Proof Card of a PR head: gather, analyse, publish, record.

While evidence that the PR's CI must upload is missing, the check-run stays `in_progress` with
the card showing what it waits for, and an evidence-timeout delivery is scheduled in the inbox;
when it fires, still-missing evidence fails with that reason.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app import inbox, state
from app.inbox import as_utc, utcnow
from app.ledger_store import LedgerRecord, append
from app.tables import CheckRun, WaiverRecord
from checks.card_builder import (
    PullRequestRef,
    awaiting_ci_evidence,
    build_proof_card,
    policy_error_result,
    result_annotations,
)
from checks.obligations.verify import apply_evidence_timeout
from checks.obligations.waivers import Waiver
from checks.pii.models import Finding as PiiFinding
from checks.policy.model import Policy
from checks.policy.parse import PolicyError
from checks.policy.proposed import ProposedPolicy
from checks.proofcard import ObligationResult, ObligationStatus
from checks.sbom.models import Finding as SbomFinding
from checks.sbom.models import ParseProblem
from handlers.assemble import card_results
from handlers.context import HandlerContext
from handlers.gather import computed_evidence, read_policy, stored_evidence
from handlers.pii_review import pii_annotations, post_suggestions_once, sbom_annotations
from handlers.port import CheckRunOutput, GitHubPort
from handlers.proposed_policy import proposed_policy, proposed_policy_annotations
from handlers.publish import (
    is_private,
    publish_card,
    publish_trouble,
    subject,
    supersede_older,
)
from handlers.rule_facts import gather_rule_facts

log = logging.getLogger("maestro.proof")

CHECK_RUN_NAME = "Maestro Proof Card"
EVIDENCE_TIMEOUT_EVENT = "maestro_evidence_timeout"


async def _open_check_run(
    ctx: HandlerContext, github: GitHubPort, installation_id: int, pr: PullRequestRef, reuse: bool
) -> int:
    if reuse:
        async with ctx.sessions() as session:
            existing = await state.find_check_run(
                session, pr.repository, pr.head_sha, status="in_progress"
            )
            if existing is not None:
                return existing.id
    check_run_id = await github.create_check_run(
        pr.repository,
        name=CHECK_RUN_NAME,
        head_sha=pr.head_sha,
        status="in_progress",
        external_id=f"{pr.repository}#{pr.number}",
        output=CheckRunOutput(
            title="Checking proof obligations…",
            summary="Maestro is gathering the evidence for this commit.",
        ),
    )
    async with ctx.sessions() as session, session.begin():
        await state.save_check_run(
            session,
            check_run_id=check_run_id,
            installation_id=installation_id,
            repository=pr.repository,
            pull_number=pr.number,
            head_sha=pr.head_sha,
            status="in_progress",
        )
        await append(
            session,
            LedgerRecord(
                kind="checkrun.created",
                installation_id=installation_id,
                repository=pr.repository,
                subject=subject(pr),
                payload={
                    "check_run_id": check_run_id,
                    "head_sha": pr.head_sha,
                    "delivery": ctx.delivery_id,
                },
            ),
        )
    return check_run_id


async def _waivers(ctx: HandlerContext, pr: PullRequestRef) -> list[Waiver]:
    async with ctx.sessions() as session:
        rows = (
            await session.execute(
                select(WaiverRecord).where(
                    WaiverRecord.repository == pr.repository,
                    WaiverRecord.pull_number == pr.number,
                )
            )
        ).scalars()
        return [
            Waiver(
                obligation=w.obligation,
                by=w.granted_by,
                owner=w.owner or w.granted_by,
                reason=w.reason,
                permission="admin",  # recorded only after the permission check passed
                created_at=as_utc(w.created_at),
                expires_at=as_utc(w.expires_at) if w.expires_at else None,
                head_sha=w.head_sha,
            )
            for w in rows
        ]


async def _waiting_since(ctx: HandlerContext, pr: PullRequestRef, now: datetime) -> datetime:
    async with ctx.sessions() as session:
        first = await session.scalar(
            select(func.min(CheckRun.created_at)).where(
                CheckRun.repository == pr.repository, CheckRun.head_sha == pr.head_sha
            )
        )
    return as_utc(first) if first else now


async def _schedule_timeout(
    ctx: HandlerContext, installation_id: int, pr: PullRequestRef, at: datetime
) -> None:
    body = {
        "installation": {"id": installation_id},
        "repository": {"full_name": pr.repository},
        "pull_request": {"number": pr.number, "head": {"sha": pr.head_sha}},
    }
    async with ctx.sessions() as session, session.begin():
        await inbox.store(
            session,
            inbox.IncomingDelivery(
                id=f"timeout:{pr.repository}@{pr.head_sha}"[:64],
                event=EVIDENCE_TIMEOUT_EVENT,
                action=None,
                installation_id=installation_id,
                repository=pr.repository,
                body=json.dumps(body).encode(),
            ),
            not_before=at,
        )


@dataclass
class Evaluation:
    """The verifier's results, when missing CI evidence times out (None: not waiting), the card
    sections explaining Maestro's own measurements, and the PII findings to annotate."""

    results: list[ObligationResult]
    deadline: datetime | None = None
    sections: dict[str, str] = field(default_factory=dict)
    pii_findings: list[PiiFinding] = field(default_factory=list)
    sbom_findings: list[SbomFinding] = field(default_factory=list)
    policy: Policy | None = None  # None: the policy file is invalid
    sbom_problems: list[ParseProblem] = field(default_factory=list)
    proposed_policy: ProposedPolicy | None = None


async def evaluate(
    ctx: HandlerContext,
    github: GitHubPort,
    pr: PullRequestRef,
    pull: dict[str, Any],
    files: list[Any],
    now: datetime,
) -> Evaluation:
    proposed = await proposed_policy(github, pr.repository, pull, files)
    policy = await read_policy(github, pr.repository, pr.base_ref)
    if isinstance(policy, PolicyError):
        return Evaluation([policy_error_result(policy)], proposed_policy=proposed)
    facts = await gather_rule_facts(ctx, github, pr.repository, pull, files, policy, now)
    async with ctx.sessions() as session:
        evidence = await stored_evidence(session, pr.repository, pr.head_sha)
    computed = await computed_evidence(
        ctx.sessions,
        github,
        pr.repository,
        pull,
        files,
        now,
        policy,
        snapshots_kept=ctx.settings.graph_snapshots_per_repo,
    )
    results = card_results(policy, evidence, facts, computed, await _waivers(ctx, pr), now)
    since = await _waiting_since(ctx, pr, now)
    results = apply_evidence_timeout(results, policy, since, now)
    deadline = None
    # Wait for CI evidence only while the card can still pass: a failed obligation (a secret on
    # an added line, a broken invariant) is reported as a failure at once.
    failed = any(r.status is ObligationStatus.FAILED for r in results)
    if awaiting_ci_evidence(results) and not failed:
        deadline = since + timedelta(minutes=policy.evidence.timeout_minutes)
    return Evaluation(
        results,
        deadline,
        computed.sections,
        computed.pii_findings,
        computed.sbom_findings,
        policy=policy,
        sbom_problems=computed.sbom_problems,
        proposed_policy=proposed,
    )


def draft_mode(policy: Policy | None, process_drafts: bool) -> str:
    """How a draft pull request is treated: the policy's `drafts` when it sets one (read from
    the base branch), else MAESTRO_PROCESS_DRAFTS (true: "check", false: "skip")."""
    if policy is not None and policy.drafts is not None:
        return policy.drafts
    return "check" if process_drafts else "skip"


class _Progress:
    """How far one proof got, so Maestro's trouble can say where it happened."""

    def __init__(self) -> None:
        self.stage = "reading_pull"
        self.check_run_id: int | None = None
        self.private = True


async def prove_pull_request(
    ctx: HandlerContext,
    installation_id: int | None,
    pr: PullRequestRef,
    *,
    pull: dict[str, Any] | None = None,
    reuse_open: bool = True,
) -> str:
    """Create (or reuse) the in-progress check-run, evaluate the obligations, publish the card.

    Returns the conclusion, "in_progress" while CI evidence is awaited, or "superseded" when
    the pull request's head has moved past `pr.head_sha`. A retried delivery finds the
    check-run it created before (still in progress) and updates that one. Maestro's own
    trouble never escapes as a stuck or red check: see `handlers.publish.publish_trouble`.
    """
    github = await ctx.github(installation_id)
    assert installation_id is not None  # ctx.github raised otherwise
    progress = _Progress()
    try:
        return await _prove(ctx, github, installation_id, pr, pull, reuse_open, progress)
    except Exception as exc:
        if progress.check_run_id is None:
            async with ctx.sessions() as session:
                open_run = await state.find_check_run(
                    session, pr.repository, pr.head_sha, status="in_progress"
                )
            if open_run is None:
                raise  # no card to show it on: the worker retries
            progress.check_run_id = open_run.id
        retry = await publish_trouble(
            ctx,
            github,
            installation_id,
            pr,
            progress.check_run_id,
            exc,
            progress.stage,
            progress.private,
        )
        if retry:
            raise
        return "neutral"


async def _prove(
    ctx: HandlerContext,
    github: GitHubPort,
    installation_id: int,
    pr: PullRequestRef,
    pull: dict[str, Any] | None,
    reuse_open: bool,
    progress: _Progress,
) -> str:
    if pull is None:
        pull = await github.get_pull(pr.repository, pr.number)
    progress.private = is_private(pull)
    current = (pull.get("head") or {}).get("sha")
    if current and current != pr.head_sha:
        # Late work for an older head (an evidence timeout, a workflow run): the newer head's
        # card is the one that counts; close any card still open on the old one.
        await supersede_older(ctx, github, installation_id, pr.repository, pr.number, current)
        ctx.outcomes.append(f"skipped: {pr.head_sha[:7]} is no longer the head ({current[:7]})")
        return "superseded"
    if not pr.base_ref:
        pr = pr.model_copy(update={"base_ref": (pull.get("base") or {}).get("ref", "")})
    progress.stage = "publishing"
    check_run_id = await _open_check_run(ctx, github, installation_id, pr, reuse_open)
    progress.check_run_id = check_run_id
    await supersede_older(ctx, github, installation_id, pr.repository, pr.number, pr.head_sha)
    progress.stage = "reading_files"
    files = await github.list_pull_files(pr.repository, pr.number)
    progress.stage = "evaluating"
    now = utcnow()
    evaluation = await evaluate(ctx, github, pr, pull, files, now)
    policy = evaluation.policy
    card = build_proof_card(
        pr,
        files,
        evaluation.results,
        evaluation.sections,
        proposed_policy=evaluation.proposed_policy,
        policy_configured=policy is None or policy.configured,
        draft=bool(pull.get("draft"))
        and draft_mode(policy, ctx.settings.process_drafts) == "neutral",
    )
    progress.stage = "publishing"
    complete = evaluation.deadline is None
    conclusion, title = await publish_card(
        ctx,
        github,
        installation_id,
        check_run_id,
        card,
        complete=complete,
        private=progress.private,
        annotations=result_annotations(card.results)
        + pii_annotations(evaluation.pii_findings)
        + sbom_annotations(
            evaluation.sbom_findings,
            block_high=bool(policy and policy.sbom.block_high),
            problems=evaluation.sbom_problems,
        )
        + proposed_policy_annotations(evaluation.proposed_policy),
    )
    if evaluation.deadline is not None:
        await _schedule_timeout(ctx, installation_id, pr, evaluation.deadline)
    await post_suggestions_once(ctx, github, installation_id, pr, evaluation.pii_findings)
    log.info("%s %s: %s (%s)", subject(pr), pr.head_sha[:7], conclusion, title)
    ctx.outcomes.append(f"{subject(pr)}: {conclusion}")
    return conclusion
