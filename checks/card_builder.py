"""Assembles the Proof Card for a pull-request head from the evidence available so far.

Obligations whose evidence has not arrived are PENDING with the source Maestro waits for — never
a pass. The risk cap is computed here from the changed files (`checks.diff_risk`).
"""

from __future__ import annotations

from pydantic import BaseModel

from checks.changes import FileChange
from checks.diff_risk import DiffRisk, diff_risk
from checks.proofcard import Comparator, ObligationResult, ObligationStatus, ProofCard

DEFAULT_RISK_CAP = 0.7

# Obligation key → (title, comparator, default requirement, evidence Maestro waits for).
PENDING_OBLIGATIONS: dict[str, tuple[str, Comparator, float | str, str]] = {
    "specCoverage": (
        "Spec coverage",
        Comparator.AT_LEAST,
        0.9,
        "a coverage report (Cobertura or LCOV) in the maestro-evidence artifact",
    ),
    "invariants": (
        "Invariants",
        Comparator.ALL_HOLD,
        "all hold",
        "the invariants declared in .github/maestro.yml",
    ),
    "mutationScore": (
        "Mutation score",
        Comparator.AT_LEAST,
        0.7,
        "a mutation report (mutmut or Stryker) in the maestro-evidence artifact",
    ),
    "perfP95BudgetMs": (
        "p95 latency budget",
        Comparator.AT_MOST,
        "budget",
        "a pytest-benchmark report in the maestro-evidence artifact",
    ),
    "sbomCriticals": (
        "SBOM criticals",
        Comparator.AT_MOST,
        0,
        "the dependency (SBOM) delta of this pull request",
    ),
}


class PullRequestRef(BaseModel):
    repository: str
    number: int
    head_sha: str
    base_ref: str = ""


def risk_result(risk: DiffRisk, cap: float = DEFAULT_RISK_CAP) -> ObligationResult:
    within = risk.score <= cap
    return ObligationResult(
        key="riskCap",
        title="Risk",
        status=ObligationStatus.PASSED if within else ObligationStatus.FAILED,
        comparator=Comparator.AT_MOST,
        required=cap,
        actual=risk.score,
        source="computed by Maestro from the changed files",
        reason="within_limit" if within else "above_limit",
        facts=[f"{f.name}: {f.value:.2f} × weight {f.weight}" for f in risk.factors],
        details={"factors": [f.model_dump() for f in risk.factors]},
    )


def build_proof_card(pr: PullRequestRef, files: list[FileChange]) -> ProofCard:
    risk = diff_risk(files)
    results = [risk_result(risk)]
    for key, (title, comparator, required, source) in PENDING_OBLIGATIONS.items():
        results.append(
            ObligationResult(
                key=key,
                title=title,
                status=ObligationStatus.PENDING,
                comparator=comparator,
                required=required,
                source=source,
                reason="pending_evidence",
            )
        )
    return ProofCard(
        repository=pr.repository,
        pull_number=pr.number,
        head_sha=pr.head_sha,
        base_ref=pr.base_ref,
        results=results,
        files_changed=risk.files_changed,
        lines_added=risk.lines_added,
        lines_removed=risk.lines_removed,
    )
