"""Gathers what the verifier needs for one pull-request head: policy (from the base branch),
facts about the PR, the evidence its CI uploaded, and the values Maestro computes itself."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.tables import EvidenceRecord
from checks.changes import FileChange
from checks.evidence.model import Evidence
from checks.policy.model import Policy
from checks.policy.parse import MAX_POLICY_BYTES, POLICY_PATH, PolicyError, parse_policy
from checks.rules.facts import Approval, PrEvent, PullRequestFacts
from graph.blast import BlastRadius
from handlers.assemble import Computed, SbomInput, assemble_computed
from handlers.graph_source import SNAPSHOTS_KEPT, pull_request_blast
from handlers.pii_review import patchless_head_files
from handlers.port import GitHubPort
from handlers.sbom_source import may_touch_manifests, sbom_delta

log = logging.getLogger("maestro.gather")


async def read_policy(github: GitHubPort, repo: str, base_ref: str) -> Policy | PolicyError:
    """The policy on the PR's base branch, so a PR cannot loosen its own gate."""
    raw = await github.get_file(repo, POLICY_PATH, base_ref) if base_ref else None
    if raw is None:
        return parse_policy(None, POLICY_PATH)
    return parse_policy(raw[:MAX_POLICY_BYTES].decode("utf-8", errors="replace"), POLICY_PATH)


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def pull_request_facts(
    pull: dict[str, Any], files: list[FileChange], reviews: list[dict[str, Any]], now: datetime
) -> PullRequestFacts:
    """Facts the rule language evaluates over, from GitHub's pull request, files and reviews."""
    latest: dict[str, dict[str, Any]] = {}
    for review in reviews:
        login = (review.get("user") or {}).get("login")
        if login and review.get("state") in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
            latest[login] = review
    approvals = [
        Approval(
            user=login,
            at=_when(review.get("submitted_at")),
            commit_sha=review.get("commit_id") or "",
        )
        for login, review in latest.items()
        if review.get("state") == "APPROVED"
    ]
    events = [
        PrEvent(kind="approval", at=a.at, actor=a.user, sha=a.commit_sha)
        for a in approvals
        if a.at is not None
    ]
    head = pull.get("head") or {}
    return PullRequestFacts(
        number=int(pull.get("number") or 0),
        author=(pull.get("user") or {}).get("login", ""),
        base_ref=(pull.get("base") or {}).get("ref", ""),
        head_sha=head.get("sha", ""),
        draft=bool(pull.get("draft")),
        labels=[label.get("name", "") for label in pull.get("labels") or []],
        changed_files=[f.filename for f in files],
        lines_added=sum(f.additions for f in files),
        lines_removed=sum(f.deletions for f in files),
        approvals=approvals,
        events=events,
        now=now,
    )


async def stored_evidence(session: AsyncSession, repo: str, head_sha: str) -> Evidence:
    record = await session.get(EvidenceRecord, (repo, head_sha))
    if record is None:
        return Evidence()
    return Evidence.model_validate_json(record.document)


async def _sbom_input(
    sessions: async_sessionmaker[AsyncSession],
    github: GitHubPort,
    repo: str,
    pull: dict[str, Any],
    files: list[FileChange],
) -> SbomInput:
    """The delta of the touched manifests, fetched at the base and head commits (none touched:
    nothing fetched) and matched against the OSV index in the database."""
    if not may_touch_manifests(files):
        return SbomInput()
    result = await sbom_delta(
        sessions,
        github,
        repo,
        (pull.get("base") or {}).get("sha", ""),
        (pull.get("head") or {}).get("sha", ""),
        files,
    )
    return SbomInput(
        manifests=result.manifests,
        deltas=result.deltas,
        findings=result.findings,
        advisories=result.advisories,
        problems=result.problems,
    )


async def computed_evidence(
    sessions: async_sessionmaker[AsyncSession],
    github: GitHubPort,
    repo: str,
    pull: dict[str, Any],
    files: list[FileChange],
    now: datetime,
    policy: Policy,
    snapshots_kept: int = SNAPSHOTS_KEPT,
) -> Computed:
    """Values Maestro computes from the change: risk from the CodeGraph blast radius (falling
    back to the file-list risk when the graph cannot be built), with the Decision Card, the
    SBOM delta's criticals and the PII/secret findings on the added lines."""
    base_sha = (pull.get("base") or {}).get("sha", "")
    head_sha = (pull.get("head") or {}).get("sha", "")
    blast: BlastRadius | None
    try:
        blast = await pull_request_blast(
            sessions, github, repo, base_sha, head_sha, files, now.date(), snapshots_kept
        )
    except Exception as exc:  # a graph failure must not block the card
        log.warning("blast radius for %s@%s unavailable: %s", repo, head_sha[:7], exc)
        blast = None
    sbom = await _sbom_input(sessions, github, repo, pull, files)
    pii_head_files = await patchless_head_files(github, repo, head_sha, files)
    return assemble_computed(files, policy, blast, sbom, pii_head_files=pii_head_files)
