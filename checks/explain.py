"""Turns obligation results (data) into the sentences shown on the Proof Card.

The logic in `checks/` returns reason codes with required/actual values; this module is the one
place that phrases them, so wording changes never touch a verdict.
"""

from __future__ import annotations

from collections.abc import Callable

from checks.proofcard import ObligationResult, ObligationStatus, ProofCard


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


_REASONS: dict[str, Callable[[ObligationResult], str]] = {
    "within_limit": lambda r: (
        f"{r.title} {_fmt(r.actual)} is within the limit of {_fmt(r.required)}"
    ),
    "above_limit": lambda r: f"{r.title} {_fmt(r.actual)} is above the limit of {_fmt(r.required)}",
    "meets_minimum": lambda r: f"{r.title} {_fmt(r.actual)} meets the required {_fmt(r.required)}",
    "below_minimum": lambda r: (
        f"{r.title} {_fmt(r.actual)} is below the required {_fmt(r.required)}"
    ),
    "pending_evidence": lambda r: (
        f"waiting for evidence: {r.source or 'no source has reported yet'}"
    ),
    "not_required": lambda r: "not required by this repository's policy",
    "waived": lambda r: f"waived by {r.details.get('waived_by', 'a maintainer')}",
}


def sentence(result: ObligationResult) -> str:
    """One sentence explaining `result`; unknown reason codes fall back to the code itself."""
    render = _REASONS.get(result.reason)
    if render is None:
        return result.reason.replace("_", " ")
    return render(result)


def card_title(card: ProofCard) -> str:
    """The check-run title: the verdict in words, e.g. "2 of 6 obligations failed"."""
    required = card.required_results
    total = len(required)
    failed = card.count(ObligationStatus.FAILED)
    pending = card.count(ObligationStatus.PENDING)
    passed = total - failed - pending
    noun = "obligation" if total == 1 else "obligations"
    if failed:
        title = f"{failed} of {total} {noun} failed"
        if pending:
            title += f", {pending} awaiting evidence"
        return title
    if pending:
        return f"{passed} of {total} {noun} passed, {pending} awaiting evidence"
    return f"All {total} {noun} passed"
