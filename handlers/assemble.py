"""Turns what was gathered for one change into the verifier's inputs and the Proof Card.

Pure: no GitHub, no database. The Proof Card handler (after fetching files, graphs and
manifests through the GitHub port) and `maestro proof` (after reading them from a local git
checkout) both call these functions, so one change gets one card whichever door it came in by.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache

from pydantic import BaseModel, Field

from app.render import partial_env
from checks.card_builder import policy_error_result
from checks.changes import FileChange
from checks.diff_risk import diff_risk
from checks.evidence.model import Evidence, EvidenceProblem, Measurement
from checks.obligations.verify import ComputedEvidence, verify
from checks.obligations.waivers import Waiver
from checks.pii.model import PiiModel, load_model
from checks.pii.models import Finding as PiiFinding
from checks.pii.models import PiiConfig, ScanReport
from checks.pii.scanner import scan_patch, scan_text
from checks.policy.model import Policy
from checks.policy.parse import PolicyError
from checks.proofcard import ObligationResult
from checks.rules.facts import PullRequestFacts
from checks.sbom.models import Delta, ParseProblem
from checks.sbom.models import Finding as SbomFinding
from checks.sbom.scan import sbom_criticals
from graph.blast import BlastRadius
from graph.decision import decision_card, render_markdown, risk_measurement


class Computed(BaseModel):
    """Maestro's own measurements plus the card sections that explain them."""

    evidence: ComputedEvidence
    sections: dict[str, str] = Field(default_factory=dict)
    pii_findings: list[PiiFinding] = Field(default_factory=list)
    sbom_findings: list[SbomFinding] = Field(default_factory=list)
    sbom_problems: list[ParseProblem] = Field(default_factory=list)


class SbomInput(BaseModel):
    """The dependency delta of the touched manifests and what the advisory index found in it.
    No manifest, delta or problem at all means no manifest was touched."""

    manifests: list[str] = Field(default_factory=list, description="the manifests diffed")
    deltas: list[Delta] = Field(default_factory=list)
    findings: list[SbomFinding] = Field(default_factory=list)
    advisories: int = Field(default=0, description="advisories in the index consulted")
    problems: list[ParseProblem] = Field(
        default_factory=list, description="touched head manifests that could not be read"
    )

    @property
    def touched(self) -> bool:
        return bool(self.manifests or self.deltas or self.problems)


def manifest_problems(problems: Sequence[ParseProblem]) -> list[EvidenceProblem]:
    """Head manifests that could not be read, as the evidence problems that fail sbomCriticals."""
    return [
        EvidenceProblem(
            file=p.file,
            line=p.line,
            code="manifest_unparseable",
            detail=p.message,
            obligation="sbomCriticals",
        )
        for p in problems
    ]


@cache
def _pii_model() -> PiiModel:
    return load_model()


def needs_head_file(change: FileChange) -> bool:
    """A file with added lines but no patch: GitHub leaves `patch` out of large diffs."""
    return not change.patch and change.status != "removed" and change.additions > 0


def pii_scan(
    files: Sequence[FileChange],
    policy: Policy,
    head_files: Mapping[str, str | None] | None = None,
) -> ScanReport:
    """PII and secrets on the lines the change adds (GitHub-style per-file patches).

    A file whose patch GitHub omitted is scanned whole from `head_files` (its text at the head
    commit; its findings are marked `whole_file`, as they may predate the change) or, when
    that text is missing (None or absent), listed as `unscanned`.
    """
    config = PiiConfig(allow_paths=list(policy.pii.allow_paths))
    report = ScanReport()
    head_files = head_files or {}
    for change in files:
        if change.patch and change.status != "removed":
            part = scan_patch(change.filename, change.patch, config, _pii_model())
        elif needs_head_file(change):
            text = head_files.get(change.filename)
            if text is None:
                report.unscanned.append(change.filename)
                continue
            part = scan_text(change.filename, text, config, _pii_model())
            for finding in part.findings:
                finding.whole_file = True
            report.whole_files.append(change.filename)
        else:
            continue
        report.findings.extend(part.findings)
        report.files_scanned += part.files_scanned
        report.lines_scanned += part.lines_scanned
    return report


def _pii(report: ScanReport) -> tuple[Measurement | None, str]:
    """piiFindings and its card section. With a file that could not be scanned and nothing
    blocking elsewhere, the obligation stays pending (the section says which files)."""
    blocking = report.blocking
    section = ""
    if blocking or report.findings or report.whole_files or report.unscanned:
        section = (
            partial_env()
            .get_template("pii_findings.md.j2")
            .render(
                blocking=blocking,
                allowed=report.allowed,
                informational=report.informational,
                whole_files=report.whole_files,
                unscanned=report.unscanned,
            )
        )
    if report.unscanned and not blocking:
        return None, section
    scanned = f"PII and secret scan of {report.lines_scanned} added lines"
    if report.whole_files:
        scanned += f" ({len(report.whole_files)} large file(s) scanned whole)"
    return Measurement(
        key="piiFindings",
        value=len(blocking),
        source=scanned,
        details={"findings": [f"{f.path}:{f.line} {f.type.value}" for f in blocking[:20]]},
    ), section


def _risk(
    files: Sequence[FileChange], blast: BlastRadius | None, top: int
) -> tuple[Measurement, str]:
    """riskCap from the blast radius with its Decision Card; from the file list when the code
    graph could not be built."""
    if blast is None:
        risk = diff_risk(list(files))
        return Measurement(
            key="riskCap",
            value=risk.score,
            source="computed by Maestro from the changed files (code graph unavailable)",
            details={"factors": [f.model_dump() for f in risk.factors]},
        ), ""
    card = decision_card(blast, top=top)
    return risk_measurement(card), render_markdown(card, partial_env())


def _sbom(sbom: SbomInput, policy: Policy, local: bool) -> tuple[Measurement | None, str]:
    """sbomCriticals from the delta of the touched manifests. With no manifest touched, no
    advisory can be introduced (0); with manifests but no advisory index, it stays pending; a
    touched manifest that cannot be read at head fails it (through its evidence problems): the
    author's file is broken, and what it adds cannot be checked."""
    if not sbom.touched:
        return Measurement(
            key="sbomCriticals", value=0, source="no dependency manifest changed"
        ), ""
    block_high = policy.sbom.block_high
    criticals = sbom_criticals(sbom.findings, block_high=block_high)
    env = partial_env()
    section = env.get_template("sbom_delta.md.j2").render(
        deltas=sbom.deltas,
        findings=sbom.findings,
        criticals=criticals,
        block_high=block_high,
        fold_after=15,
    )
    if sbom.advisories == 0:
        return None, section + env.get_template("sbom_no_index.md.j2").render(local=local)
    if sbom.problems:
        return None, section
    return Measurement(
        key="sbomCriticals",
        value=criticals,
        source=f"dependency delta checked against {sbom.advisories} OSV advisories",
        details={"findings": [f"{f.id} {f.package} {f.version}" for f in sbom.findings]},
    ), section


def assemble_computed(
    files: Sequence[FileChange],
    policy: Policy,
    blast: BlastRadius | None,
    sbom: SbomInput,
    *,
    local: bool = False,
    decision_top: int = 5,
    pii_head_files: Mapping[str, str | None] | None = None,
) -> Computed:
    """Values Maestro computes from the change, with the sections explaining them: PII and
    secrets on the added lines, risk (Decision Card) and the SBOM delta's criticals.
    `pii_head_files` holds the head text of files that came without a patch (see pii_scan)."""
    measurements: dict[str, Measurement] = {}
    sections: dict[str, str] = {}
    pii = pii_scan(files, policy, pii_head_files)
    blocking = pii.blocking
    pii_measurement, pii_section = _pii(pii)
    if pii_measurement is not None:
        measurements["piiFindings"] = pii_measurement
    if pii_section:
        sections["pii"] = pii_section
    measurements["riskCap"], decision = _risk(files, blast, decision_top)
    if decision:
        sections["decision"] = decision
    sbom_measurement, sbom_section = _sbom(sbom, policy, local)
    if sbom_measurement is not None:
        measurements["sbomCriticals"] = sbom_measurement
    if sbom_section:
        sections["sbom"] = sbom_section
    return Computed(
        evidence=ComputedEvidence(
            measurements=measurements, problems=manifest_problems(sbom.problems)
        ),
        sections=sections,
        pii_findings=blocking,
        sbom_findings=sbom.findings,
        sbom_problems=sbom.problems,
    )


def card_results(
    policy: Policy | PolicyError,
    evidence: Evidence,
    facts: PullRequestFacts,
    computed: Computed | None,
    waivers: Sequence[Waiver] = (),
    now: datetime | None = None,
) -> list[ObligationResult]:
    """The card's lines: the one failing policy line for an invalid policy, else the verdict of
    every obligation (evidence timeouts are the handler's business: they need a clock)."""
    if isinstance(policy, PolicyError):
        return [policy_error_result(policy)]
    return verify(policy, evidence, facts, computed.evidence if computed else None, waivers, now)
