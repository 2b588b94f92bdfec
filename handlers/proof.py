"""Computes and publishes the Proof Card of a PR head: gather, analyse, publish, record."""

from __future__ import annotations

import logging

from app import state
from app.ledger_store import LedgerRecord, append
from app.render import render_proof_card
from checks.card_builder import PullRequestRef, build_proof_card
from handlers.context import HandlerContext
from handlers.port import CheckRunOutput

log = logging.getLogger("maestro.proof")

CHECK_RUN_NAME = "Maestro Proof Card"


def subject(pr: PullRequestRef) -> str:
    return f"pr:{pr.repository}#{pr.number}"


async def prove_pull_request(
    ctx: HandlerContext, installation_id: int, pr: PullRequestRef, *, reuse_open: bool = True
) -> str:
    """Create (or reuse) the in-progress check-run, compute the card, complete the check-run.

    Returns the conclusion. A retried delivery finds the check-run it created before (still
    in progress) and completes that one instead of opening a second.
    """
    github = await ctx.github(installation_id)
    check_run_id: int | None = None
    if reuse_open:
        async with ctx.sessions() as session:
            existing = await state.find_check_run(
                session, pr.repository, pr.head_sha, status="in_progress"
            )
            check_run_id = existing.id if existing else None
    if check_run_id is None:
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

    files = await github.list_pull_files(pr.repository, pr.number)
    card = build_proof_card(pr, files)
    title, summary = render_proof_card(card)
    conclusion = card.conclusion.value
    await github.complete_check_run(
        pr.repository,
        check_run_id,
        conclusion=conclusion,
        output=CheckRunOutput(title=title, summary=summary),
    )
    async with ctx.sessions() as session, session.begin():
        await state.save_check_run(
            session,
            check_run_id=check_run_id,
            installation_id=installation_id,
            repository=pr.repository,
            pull_number=pr.number,
            head_sha=pr.head_sha,
            status="completed",
            conclusion=conclusion,
            title=title,
        )
        await append(
            session,
            LedgerRecord(
                kind="checkrun.completed",
                installation_id=installation_id,
                repository=pr.repository,
                subject=subject(pr),
                payload={
                    "check_run_id": check_run_id,
                    "head_sha": pr.head_sha,
                    "conclusion": conclusion,
                    "title": title,
                    "obligations": {r.key: r.status.value for r in card.results},
                    "delivery": ctx.delivery_id,
                },
            ),
        )
    log.info("%s %s: %s (%s)", subject(pr), pr.head_sha[:7], conclusion, title)
    ctx.outcomes.append(f"{subject(pr)}: {conclusion}")
    return conclusion
