"""The Proof Card: the verdict of every proof obligation on one pull-request head, as data.

Explanations are data (policy-bot's habit): each obligation result carries the required
value, the actual value, where the evidence came from and a reason code. Templates in
`templates/` turn these into sentences; nothing here assembles prose.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from checks.policy.proposed import ProposedPolicy


class ObligationStatus(StrEnum):
    """Outcome of one obligation."""

    PASSED = "passed"
    FAILED = "failed"
    PENDING = "pending"  # evidence not yet available; never shown as a pass
    WAIVED = "waived"
    NOT_REQUIRED = "not_required"


class Comparator(StrEnum):
    """How the actual value is compared with the required one."""

    AT_LEAST = ">="
    AT_MOST = "<="
    ALL_HOLD = "all"


class Conclusion(StrEnum):
    """GitHub check-run conclusions Maestro uses."""

    SUCCESS = "success"
    FAILURE = "failure"
    NEUTRAL = "neutral"


class ObligationResult(BaseModel):
    """One line of the Proof Card."""

    key: str = Field(description="obligation key as in the schema, e.g. riskCap")
    title: str = Field(description="human name, e.g. 'Risk cap'")
    status: ObligationStatus
    comparator: Comparator | None = None
    required: float | int | str | None = None
    actual: float | int | str | None = None
    source: str = Field(default="", description="where the evidence came from")
    reason: str = Field(description="reason code; templates render it as a sentence")
    facts: list[str] = Field(default_factory=list, description="evidence items behind the verdict")
    details: dict[str, Any] = Field(default_factory=dict)


class Trouble(BaseModel):
    """Maestro's own trouble while computing or publishing a card (never the PR's fault).

    `code` names the kind of trouble and `stage` what Maestro was doing; templates phrase both.
    `detail` is safe to show: a status code and GitHub's message, never a URL or a token.
    """

    code: str = Field(description="github_error, github_unreachable, artifact_too_large, crash …")
    stage: str = Field(default="", description="what Maestro was doing, e.g. reading_files")
    detail: str = ""
    retrying: bool = Field(default=False, description="the delivery will be retried")
    attempt: int = 1
    max_attempts: int = 1


class ProofCard(BaseModel):
    """All obligation results for one head SHA, plus the overall conclusion."""

    repository: str
    pull_number: int
    head_sha: str
    base_ref: str = ""
    results: list[ObligationResult]
    files_changed: int = 0
    lines_added: int = 0
    lines_removed: int = 0
    sections: dict[str, Any] = Field(
        default_factory=dict, description="extra card sections (decision card, SBOM delta …)"
    )
    policy_configured: bool = Field(
        default=True, description="False: no .github/maestro.yml, the documented defaults apply"
    )
    draft: bool = Field(
        default=False, description="a draft under `drafts: neutral`: shown, never blocks"
    )
    trouble: Trouble | None = Field(default=None, description="Maestro could not finish")
    superseded_by: str | None = Field(default=None, description="the newer head commit")
    proposed_policy: ProposedPolicy | None = Field(
        default=None, description="the policy file this pull request changes, validated"
    )

    def count(self, status: ObligationStatus) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def required_results(self) -> list[ObligationResult]:
        return [r for r in self.results if r.status != ObligationStatus.NOT_REQUIRED]

    @property
    def conclusion(self) -> Conclusion:
        """failure if any obligation failed; success if all passed or were waived; else neutral.

        Maestro's own trouble and a superseded head are neutral (never red), and so is a
        failing draft under `drafts: neutral`.
        """
        if self.trouble is not None or self.superseded_by is not None:
            return Conclusion.NEUTRAL
        required = self.required_results
        if any(r.status == ObligationStatus.FAILED for r in required):
            return Conclusion.NEUTRAL if self.draft else Conclusion.FAILURE
        if all(r.status in (ObligationStatus.PASSED, ObligationStatus.WAIVED) for r in required):
            return Conclusion.SUCCESS
        return Conclusion.NEUTRAL
