"""Publishes findings where the author works: check-run annotations on the lines (PII, secrets,
vulnerable dependencies), and one review of GitHub suggested changes (one-click redactions).

The review is posted once per head commit (the ledger records it), so re-runs do not repeat it.
Files whose patch GitHub leaves out (large diffs) are fetched at the head commit so that the
scan can read them whole (`patchless_head_files`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from app.ledger_store import LedgerRecord, append
from app.render import partial_env
from app.tables import LedgerEntry
from checks.card_builder import PullRequestRef
from checks.changes import FileChange
from checks.pii.models import Finding
from checks.sbom.models import Finding as SbomFinding
from checks.sbom.models import ParseProblem
from handlers.assemble import needs_head_file
from handlers.context import HandlerContext
from handlers.port import GitHubPort

log = logging.getLogger("maestro.pii")

MAX_REVIEW_COMMENTS = 30
MAX_HEAD_FILES = 20  # contents API calls per card for patchless files; the rest stay unscanned
MAX_HEAD_BYTES = 5_000_000  # a bigger head file is not scanned (about a second of CPU per 5 MB)


async def patchless_head_files(
    github: GitHubPort, repo: str, head_sha: str, files: Sequence[FileChange]
) -> dict[str, str | None]:
    """The head-commit text of each file that has added lines but no patch; None where it could
    not be read (gone, an API error, over MAX_HEAD_BYTES, or past MAX_HEAD_FILES).
    Binary files are left out: there is nothing to scan in them."""
    out: dict[str, str | None] = {}
    for change in files:
        if not needs_head_file(change):
            continue
        if len(out) >= MAX_HEAD_FILES:
            out[change.filename] = None
            continue
        try:
            raw = await github.get_file(repo, change.filename, head_sha) if head_sha else None
        except Exception as exc:  # one unreadable file must not sink the card: it stays pending
            log.warning("%s@%s: cannot read %s for the PII scan: %s", repo, head_sha[:7],
                        change.filename, type(exc).__name__)  # fmt: skip
            raw = None
        if raw is not None and b"\0" in raw[:8192]:
            continue
        if raw and len(raw) <= MAX_HEAD_BYTES:
            out[change.filename] = raw.decode("utf-8", errors="replace")
        else:
            out[change.filename] = None
    return out


def pii_annotations(findings: list[Finding]) -> list[dict[str, Any]]:
    return [
        {
            "path": f.path,
            "start_line": f.line,
            "end_line": f.end_line,
            "annotation_level": "failure",
            "title": f"{f.type.value} in a file scanned whole (no patch)"
            if f.whole_file
            else f"{f.type.value} on an added line",
            "message": f"{f.excerpt}\n(rule {f.rule}, score {f.score:.2f}; value masked)",
        }
        for f in findings
    ]


def sbom_annotations(
    findings: list[SbomFinding],
    *,
    block_high: bool = False,
    problems: list[ParseProblem] | None = None,
) -> list[dict[str, Any]]:
    """Advisories on the manifest line that introduced the vulnerable version ("failure" when
    the advisory blocks the merge: critical, or high with `sbom.block_high`), and the lines of
    head manifests that could not be parsed ("failure": they fail sbomCriticals)."""
    blocking = {"critical", "high"} if block_high else {"critical"}
    out = []
    for p in problems or []:
        line = p.line or 1
        out.append(
            {
                "path": p.file,
                "start_line": line,
                "end_line": line,
                "annotation_level": "failure",
                "title": f"{p.file} could not be parsed",
                "message": p.message,
            }
        )
    for f in findings:
        if not f.file or not f.line:
            continue
        fix = f"; fixed in {f.fixed}" if f.fixed else "; no fixed version yet"
        out.append(
            {
                "path": f.file,
                "start_line": f.line,
                "end_line": f.line,
                "annotation_level": "failure" if f.severity.value in blocking else "warning",
                "title": f"{f.id}: {f.package} {f.version} ({f.severity.value})",
                "message": (f.summary or f.id) + fix,
            }
        )
    return out


def review_comments(findings: list[Finding]) -> list[dict[str, Any]]:
    template = partial_env().get_template("pii_suggestion.md.j2")
    comments: list[dict[str, Any]] = []
    # A whole-file finding may sit outside the diff, where GitHub refuses review comments.
    for f in [f for f in findings if not f.whole_file][:MAX_REVIEW_COMMENTS]:
        redaction = f.redaction
        comment: dict[str, Any] = {
            "path": f.path,
            "line": redaction.end_line if redaction else f.line,
            "side": "RIGHT",
            "body": template.render(finding=f),
        }
        if redaction and redaction.start_line != redaction.end_line:
            comment.update(start_line=redaction.start_line, start_side="RIGHT")
        comments.append(comment)
    return comments


async def post_suggestions_once(
    ctx: HandlerContext,
    github: GitHubPort,
    installation_id: int,
    pr: PullRequestRef,
    findings: list[Finding],
) -> None:
    findings = [f for f in findings if not f.whole_file]  # no diff line to comment on
    if not findings:
        return
    subject = f"review:{pr.repository}#{pr.number}@{pr.head_sha}"
    async with ctx.sessions() as session:
        posted = await session.scalar(
            select(LedgerEntry.seq).where(
                LedgerEntry.kind == "review.posted", LedgerEntry.subject == subject
            )
        )
    if posted is not None:
        return
    review_id = await github.create_review(
        pr.repository,
        pr.number,
        commit_id=pr.head_sha,
        body=partial_env().get_template("pii_review.md.j2").render(count=len(findings)),
        comments=review_comments(findings),
    )
    async with ctx.sessions() as session, session.begin():
        await append(
            session,
            LedgerRecord(
                kind="review.posted",
                installation_id=installation_id,
                repository=pr.repository,
                subject=subject,
                payload={
                    "review_id": review_id,
                    "findings": [f"{f.path}:{f.line} {f.type.value}" for f in findings],
                },
            ),
        )
