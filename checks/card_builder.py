"""Assembles the Proof Card for a pull-request head from the verifier's results.

Also turns an invalid policy file into the one failing line the card shows, quoting the file,
line and problem, and says whether the card is still waiting for CI evidence.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from checks.changes import FileChange
from checks.explain import policy_problem_sentence
from checks.obligations.catalog import SPECS
from checks.policy.parse import PolicyError
from checks.proofcard import ObligationResult, ObligationStatus, ProofCard


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
        facts=[policy_problem_sentence(p) for p in error.problems],
        details={"problems": [p.model_dump() for p in error.problems]},
    )


def awaiting_ci_evidence(results: Sequence[ObligationResult]) -> bool:
    """True while an obligation that the PR's CI must prove is still pending."""
    for result in results:
        spec = SPECS.get(result.key.split(".", 1)[0])
        if result.status is ObligationStatus.PENDING and spec is not None and not spec.computed:
            return True
    return False


def build_proof_card(
    pr: PullRequestRef,
    files: list[FileChange],
    results: list[ObligationResult],
    sections: dict[str, str] | None = None,
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
    )
