"""Gathers what the verifier needs for one pull-request head: policy (from the base branch),
facts about the PR, the evidence its CI uploaded, and the values Maestro computes itself."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import cache
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.render import partial_env
from app.tables import EvidenceRecord
from checks.changes import FileChange
from checks.diff_risk import diff_risk
from checks.evidence.model import Evidence, Measurement
from checks.obligations.verify import ComputedEvidence
from checks.pii.model import PiiModel, load_model
from checks.pii.models import Finding as PiiFinding
from checks.pii.models import PiiConfig, ScanReport
from checks.pii.scanner import scan_patch
from checks.policy.model import Policy
from checks.policy.parse import PolicyError, parse_policy
from checks.rules.facts import Approval, PrEvent, PullRequestFacts
from checks.sbom.models import Finding as SbomFinding
from checks.sbom.scan import sbom_criticals
from graph.decision import decision_card, render_markdown, risk_measurement
from handlers.graph_source import SNAPSHOTS_KEPT, pull_request_blast
from handlers.port import GitHubPort
from handlers.sbom_source import sbom_delta, touched_manifests

log = logging.getLogger("maestro.gather")

POLICY_PATH = ".github/maestro.yml"
MAX_POLICY_BYTES = 256 * 1024


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


class Computed(BaseModel):
    """Maestro's own measurements plus the card sections that explain them."""

    evidence: ComputedEvidence
    sections: dict[str, str] = Field(default_factory=dict)
    pii_findings: list[PiiFinding] = Field(default_factory=list)
    sbom_findings: list[SbomFinding] = Field(default_factory=list)


async def _sbom(
    sessions: async_sessionmaker[AsyncSession],
    github: GitHubPort,
    repo: str,
    pull: dict[str, Any],
    files: list[FileChange],
    policy: Policy,
) -> tuple[Measurement | None, str, list[SbomFinding]]:
    """sbomCriticals from the delta of the touched manifests. With no manifest touched, no
    advisory can be introduced (0); with manifests but no advisory database, it stays pending."""
    if not touched_manifests(files):
        return (
            Measurement(key="sbomCriticals", value=0, source="no dependency manifest changed"),
            "",
            [],
        )
    result = await sbom_delta(
        sessions,
        github,
        repo,
        (pull.get("base") or {}).get("sha", ""),
        (pull.get("head") or {}).get("sha", ""),
        files,
    )
    block_high = policy.sbom.block_high
    section = (
        partial_env()
        .get_template("sbom_delta.md.j2")
        .render(
            deltas=result.deltas,
            findings=result.findings,
            criticals=sbom_criticals(result.findings, block_high=block_high),
            block_high=block_high,
            fold_after=15,
        )
    )
    if result.advisories == 0:
        section += (
            "\n\nNo advisory database is loaded, so the changed packages were not checked: "
            "run `maestro osv import PATH` or set `MAESTRO_OSV_DIR`.\n"
        )
        return None, section, []
    return (
        Measurement(
            key="sbomCriticals",
            value=sbom_criticals(result.findings, block_high=block_high),
            source=f"dependency delta checked against {result.advisories} OSV advisories",
            details={"findings": [f"{f.id} {f.package} {f.version}" for f in result.findings]},
        ),
        section,
        result.findings,
    )


@cache
def _pii_model() -> PiiModel:
    return load_model()


def pii_scan(files: list[FileChange], policy: Policy) -> ScanReport:
    """PII and secrets on the lines the pull request adds (GitHub's per-file patches)."""
    config = PiiConfig(allow_paths=list(policy.pii.allow_paths))
    report = ScanReport()
    for change in files:
        if change.patch and change.status != "removed":
            part = scan_patch(change.filename, change.patch, config, _pii_model())
            report.findings.extend(part.findings)
            report.files_scanned += part.files_scanned
            report.lines_scanned += part.lines_scanned
    return report


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
    back to the file-list risk when the graph cannot be built), with the Decision Card, and
    the PII/secret findings on the added lines."""
    measurements: dict[str, Measurement] = {}
    sections: dict[str, str] = {}
    pii = pii_scan(files, policy)
    blocking = pii.blocking
    measurements["piiFindings"] = Measurement(
        key="piiFindings",
        value=len(blocking),
        source=f"PII and secret scan of {pii.lines_scanned} added lines",
        details={"findings": [f"{f.path}:{f.line} {f.type.value}" for f in blocking[:20]]},
    )
    if blocking or pii.allowed:
        sections["pii"] = (
            partial_env()
            .get_template("pii_findings.md.j2")
            .render(blocking=blocking, allowed=pii.allowed)
        )
    base_sha = (pull.get("base") or {}).get("sha", "")
    head_sha = (pull.get("head") or {}).get("sha", "")
    try:
        blast = await pull_request_blast(
            sessions, github, repo, base_sha, head_sha, files, now.date(), snapshots_kept
        )
    except Exception as exc:  # a graph failure must not block the card
        log.warning("blast radius for %s@%s unavailable: %s", repo, head_sha[:7], exc)
        risk = diff_risk(files)
        measurements["riskCap"] = Measurement(
            key="riskCap",
            value=risk.score,
            source="computed by Maestro from the changed files (code graph unavailable)",
            details={"factors": [f.model_dump() for f in risk.factors]},
        )
    else:
        card = decision_card(blast)
        measurements["riskCap"] = risk_measurement(card)
        sections["decision"] = render_markdown(card, partial_env())
    sbom_measurement, sbom_section, sbom_findings = await _sbom(
        sessions, github, repo, pull, files, policy
    )
    if sbom_measurement is not None:
        measurements["sbomCriticals"] = sbom_measurement
    if sbom_section:
        sections["sbom"] = sbom_section
    return Computed(
        evidence=ComputedEvidence(measurements=measurements),
        sbom_findings=sbom_findings,
        sections=sections,
        pii_findings=blocking,
    )
