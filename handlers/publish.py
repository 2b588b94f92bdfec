"""Publishes a Proof Card on its check-run and records it: the card's JSON in `proof_cards`, the
check-run's state and a ledger entry, all in one transaction.

Also the two cards that are not verdicts on the change: the neutral card of Maestro's own
trouble (with a Re-run button) and the neutral card left on a head a newer push superseded.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from sqlalchemy import select

from app import state
from app.inbox import utcnow
from app.ledger_store import LedgerRecord, append
from app.render import render_proof_card
from app.settings import Settings
from app.tables import CheckRun, ProofCardRecord
from checks.card_builder import PullRequestRef, superseded_card, trouble_card
from checks.proofcard import ProofCard
from handlers.context import HandlerContext
from handlers.port import CheckRunOutput, GitHubPort
from handlers.trouble import classify

log = logging.getLogger("maestro.publish")

# The button a neutral trouble card offers (GitHub: label ≤ 20, description ≤ 40 characters).
RERUN_ACTION = {
    "label": "Re-run",
    "identifier": "rerun",
    "description": "Compute the Proof Card again",
}


def subject(pr: PullRequestRef) -> str:
    return f"pr:{pr.repository}#{pr.number}"


def card_url(settings: Settings, repository: str, head_sha: str) -> str | None:
    """Maestro's own page of the full card; None until MAESTRO_PUBLIC_URL is set."""
    if not settings.public_url:
        return None
    return f"{settings.public_url.rstrip('/')}/cards/{repository}/{head_sha}"


def is_private(pull: dict[str, Any] | None) -> bool:
    """Whether the pull request's repository is private; unknown counts as private."""
    repo = ((pull or {}).get("base") or {}).get("repo") or {}
    return repo.get("private") is not False


async def publish_card(
    ctx: HandlerContext,
    github: GitHubPort,
    installation_id: int,
    check_run_id: int,
    card: ProofCard,
    *,
    complete: bool,
    private: bool,
    annotations: list[dict[str, Any]] | None = None,
    actions: list[dict[str, str]] | None = None,
) -> tuple[str, str]:
    """Update (or complete) the check-run with `card`, then record it. Annotations are sent only
    with the completing call: GitHub appends those of every update, so sending them on each
    in-progress update would repeat them. Returns (conclusion or "in_progress", title)."""
    url = card_url(ctx.settings, card.repository, card.head_sha)
    title, summary = render_proof_card(card, url)
    output = CheckRunOutput(
        title=title,
        summary=summary,
        annotations=list(annotations or []) if complete else [],
        details_url=url,
        actions=list(actions or []),
    )
    conclusion = card.conclusion.value if complete else "in_progress"
    if complete:
        await github.complete_check_run(
            card.repository, check_run_id, conclusion=conclusion, output=output
        )
    else:
        await github.update_check_run(card.repository, check_run_id, output=output)
    await record_card(ctx, installation_id, check_run_id, card, title, conclusion, private)
    return conclusion, title


async def record_card(
    ctx: HandlerContext,
    installation_id: int,
    check_run_id: int,
    card: ProofCard,
    title: str,
    conclusion: str,
    private: bool,
) -> None:
    """Check-run state, the card's JSON and the ledger entry, in one transaction. The entry
    carries the card's SHA-256 and every verdict (the ledger scrubs payloads before hashing)."""
    document = card.model_dump_json()
    digest = hashlib.sha256(document.encode()).hexdigest()
    completed = conclusion != "in_progress"
    now = utcnow()
    payload: dict[str, Any] = {
        "check_run_id": check_run_id,
        "head_sha": card.head_sha,
        "conclusion": conclusion,
        "title": title,
        "card_sha256": digest,
        "verdicts": [
            {
                "obligation": r.key,
                "status": r.status.value,
                "required": r.required,
                "actual": r.actual,
                "source": r.source,
            }
            for r in card.results
        ],
        "delivery": ctx.delivery_id,
    }
    if card.trouble is not None:
        payload["trouble"] = card.trouble.model_dump()
    if card.superseded_by:
        payload["superseded_by"] = card.superseded_by
    async with ctx.sessions() as session, session.begin():
        await state.save_check_run(
            session,
            check_run_id=check_run_id,
            installation_id=installation_id,
            repository=card.repository,
            pull_number=card.pull_number,
            head_sha=card.head_sha,
            status="completed" if completed else "in_progress",
            conclusion=conclusion if completed else None,
            title=title[:255],
        )
        row = await session.get(ProofCardRecord, check_run_id)
        if row is None:
            row = ProofCardRecord(check_run_id=check_run_id, created_at=now)
            session.add(row)
        row.repository = card.repository
        row.pull_number = card.pull_number
        row.head_sha = card.head_sha
        row.status = "completed" if completed else "in_progress"
        row.conclusion = conclusion if completed else None
        row.title = title[:255]
        row.private = private
        row.card = document
        row.card_sha256 = digest
        row.updated_at = now
        await append(
            session,
            LedgerRecord(
                kind="checkrun.completed" if completed else "checkrun.updated",
                installation_id=installation_id,
                repository=card.repository,
                subject=f"pr:{card.repository}#{card.pull_number}",
                payload=payload,
            ),
        )


async def publish_trouble(
    ctx: HandlerContext,
    github: GitHubPort,
    installation_id: int,
    pr: PullRequestRef,
    check_run_id: int,
    exc: BaseException,
    stage: str,
    private: bool,
) -> bool:
    """Show `exc` on the check-run: in progress and "retrying" while the worker will try again,
    else completed `neutral` with a Re-run button. Returns whether the delivery should be
    retried (or, on its last attempt, parked as failed) — False for permanent trouble, which
    a retry cannot fix."""
    trouble, transient = classify(exc)
    retrying = transient and not ctx.last_attempt
    trouble = trouble.model_copy(
        update={
            "stage": stage,
            "retrying": retrying,
            "attempt": ctx.attempt,
            "max_attempts": ctx.max_attempts,
        }
    )
    card = trouble_card(pr, trouble)
    try:
        await publish_card(
            ctx,
            github,
            installation_id,
            check_run_id,
            card,
            complete=not retrying,
            private=private,
            actions=[] if retrying else [RERUN_ACTION],
        )
    except Exception as publish_error:  # GitHub may be down for this call too
        log.warning(
            "could not show Maestro's trouble on check-run %s: %s", check_run_id, publish_error
        )
        return True
    log.warning(
        "%s %s: Maestro could not finish (%s, %s)%s",
        subject(pr),
        pr.head_sha[:7],
        trouble.code,
        trouble.detail,
        "; retrying" if retrying else "",
    )
    ctx.outcomes.append(f"{subject(pr)}: {'retrying' if retrying else 'neutral'} ({trouble.code})")
    return transient


async def supersede_older(
    ctx: HandlerContext,
    github: GitHubPort,
    installation_id: int,
    repository: str,
    pull_number: int,
    newer_sha: str,
) -> list[int]:
    """Complete every in-progress card of this pull request on another head `neutral`,
    "superseded by <newer>", so no stale card stays open (or times out later). Returns their
    check-run ids; one GitHub refuses is logged and left for its timeout to skip."""
    async with ctx.sessions() as session:
        older = list(
            (
                await session.execute(
                    select(CheckRun).where(
                        CheckRun.repository == repository,
                        CheckRun.pull_number == pull_number,
                        CheckRun.status == "in_progress",
                        CheckRun.head_sha != newer_sha,
                    )
                )
            ).scalars()
        )
        privacy = {
            row.check_run_id: row.private
            for row in (
                await session.execute(
                    select(ProofCardRecord).where(
                        ProofCardRecord.check_run_id.in_([r.id for r in older])
                    )
                )
            ).scalars()
        }
    done = []
    for run in older:
        card = superseded_card(repository, pull_number, run.head_sha, newer_sha)
        try:
            await publish_card(
                ctx,
                github,
                installation_id,
                run.id,
                card,
                complete=True,
                private=privacy.get(run.id, True),
            )
        except Exception as exc:
            log.warning("could not supersede check-run %s: %s", run.id, exc)
            continue
        done.append(run.id)
        ctx.outcomes.append(f"superseded {run.head_sha[:7]} by {newer_sha[:7]}")
    return done
