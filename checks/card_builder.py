"""Assembles the Proof Card for a pull-request head from the verifier's results.

Also turns an invalid policy file into the one failing line the card shows (the problems stay
data; the template quotes file, line and problem), says whether the card is still waiting for
CI evidence, and collects the line annotations every result asks for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from checks.changes import FileChange
from checks.evidence.model import Annotation
from checks.explain import annotation_text
from checks.obligations.catalog import SPECS
from checks.policy.parse import PolicyError
from checks.policy.proposed import ProposedPolicy
from checks.proofcard import ObligationResult, ObligationStatus, ProofCard, Trouble

# GitHub's annotation levels for ours.
_LEVELS = {"notice": "notice", "warning": "warning", "failure": "failure", "error": "failure"}


class PullRequestRef(BaseModel):
    repository: str
    number: int
    head_sha: str
    base_ref: str = ""


def policy_error_result(error: PolicyError) -> ObligationResult:
    return ObligationResult(
        key="policy",
        title="Policy file",
        status=ObligationStatus.FAILED,
        source=error.path,
        reason="policy_invalid",
        details={"problems": [p.model_dump() for p in error.problems]},
    )


def awaiting_ci_evidence(results: Sequence[ObligationResult]) -> bool:
    """True while an obligation that the PR's CI must prove is still pending (and awaited)."""
    for result in results:
        spec = SPECS.get(result.key.split(".", 1)[0])
        if (
            result.status is ObligationStatus.PENDING
            and spec is not None
            and not spec.computed
            and result.reason != "evidence_not_configured"
        ):
            return True
    return False


def build_proof_card(
    pr: PullRequestRef,
    files: list[FileChange],
    results: list[ObligationResult],
    sections: dict[str, str] | None = None,
    *,
    policy_configured: bool = True,
    draft: bool = False,
    proposed_policy: ProposedPolicy | None = None,
) -> ProofCard:
    return ProofCard(
        repository=pr.repository,
        pull_number=pr.number,
        head_sha=pr.head_sha,
        base_ref=pr.base_ref,
        results=results,
        files_changed=len(files),
        lines_added=sum(f.additions for f in files),
        lines_removed=sum(f.deletions for f in files),
        sections=sections or {},
        policy_configured=policy_configured,
        draft=draft,
        proposed_policy=proposed_policy,
    )


def trouble_card(pr: PullRequestRef, trouble: Trouble) -> ProofCard:
    """The neutral card that says Maestro could not finish (and whether it retries)."""
    return ProofCard(
        repository=pr.repository,
        pull_number=pr.number,
        head_sha=pr.head_sha,
        base_ref=pr.base_ref,
        results=[],
        trouble=trouble,
    )


def superseded_card(repository: str, pull_number: int, head_sha: str, newer_sha: str) -> ProofCard:
    """The neutral card left on a head commit a newer push replaced."""
    return ProofCard(
        repository=repository,
        pull_number=pull_number,
        head_sha=head_sha,
        results=[],
        superseded_by=newer_sha,
    )


def result_annotations(results: Sequence[ObligationResult]) -> list[dict[str, Any]]:
    """GitHub check-run annotations for every line a result points at (uncovered changed lines
    of the coverage obligation, …), in card order; a passed obligation's lines are notices."""
    out: list[dict[str, Any]] = []
    for result in results:
        if result.status is ObligationStatus.NOT_REQUIRED:
            continue
        for raw in result.details.get("annotations") or []:
            annotation = Annotation.model_validate(raw)
            title, message = annotation_text(annotation, result)
            out.append(
                {
                    "path": annotation.path,
                    "start_line": annotation.start_line,
                    "end_line": annotation.end_line,
                    "annotation_level": "notice"
                    if result.status is ObligationStatus.PASSED
                    else _LEVELS.get(annotation.level, "warning"),
                    "title": title,
                    "message": message,
                }
            )
    return out
