"""Turns obligation results (data) into the sentences shown on the Proof Card.

The logic in `checks/` returns reason codes with required/actual values; this module is the one
place that phrases them, so wording changes never touch a verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from checks.proofcard import ObligationStatus, ProofCard

if TYPE_CHECKING:
    from checks.evidence.model import EvidenceProblem
    from checks.obligations.waivers import WaiverDecision
    from checks.policy.parse import PolicyProblem
    from checks.rules.evaluate import Fact


class Explainable(Protocol):
    """What a reason renderer reads: an ObligationResult or a schema ValidationProblem."""

    @property
    def key(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def required(self) -> float | int | str | None: ...
    @property
    def actual(self) -> float | int | str | None: ...
    @property
    def source(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def details(self) -> dict[str, Any]: ...


def _fmt(value: object) -> str:
    if isinstance(value, float):
        # tiny values (p95 of a fast benchmark, in ms) keep three significant digits
        return f"{value:.3g}" if 0 < abs(value) < 0.1 else f"{value:.2f}"
    return str(value)


_REASONS: dict[str, Callable[[Explainable], str]] = {
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


def _a(word: object) -> str:
    text = str(word)
    return ("an " if text[:1].lower() in "aeiou" else "a ") + text


# What each CI-evidence obligation waits for, in words.
_REPORTS: dict[str, str] = {
    "specCoverage": "coverage report",
    "mutationScore": "mutation report",
    "perfP95BudgetMs": "benchmark report",
    "sbomCriticals": "dependency manifest",
}


def _report(r: Explainable) -> str:
    return _REPORTS.get(r.key.split(".", 1)[0], "evidence")


def _waived(r: Explainable) -> str:
    text = f"waived by {r.details.get('waived_by', 'a maintainer')}"
    if r.details.get("waiver_expires"):
        text += f" until {str(r.details['waiver_expires'])[:10]}"
    if r.details.get("waiver_reason"):
        text += f": {r.details['waiver_reason']}"
    return text


def _rule_failed(r: Explainable) -> str:
    facts = r.details.get("facts") or []
    why = "; ".join(fact_sentence(f) for f in facts)
    return f"{r.title} does not hold: {r.required}" + (f" ({why})" if why else "")


def _invalid(r: Explainable) -> str:
    from checks.evidence.model import EvidenceProblem

    problems = [EvidenceProblem.model_validate(p) for p in r.details.get("problems", [])]
    if not problems:
        return f"the {_report(r)} could not be read ({r.source})"
    return f"the {_report(r)} could not be read: " + "; ".join(map(problem_sentence, problems))


def _timeout(r: Explainable) -> str:
    minutes = r.details.get("timeout_minutes", "?")
    if r.details.get("pending_reason") in (None, "no_report", "pending_evidence"):
        return f"no {_report(r)} was uploaded within {minutes} minutes"
    return f"no usable {_report(r)} arrived within {minutes} minutes"


_REASONS.update(
    {
        # schema keywords (ValidationProblem.reason)
        "not_above_minimum": lambda r: (
            f"{r.title} {_fmt(r.actual)} must be above {_fmt(r.required)}"
        ),
        "not_below_limit": lambda r: f"{r.title} {_fmt(r.actual)} must be below {_fmt(r.required)}",
        "wrong_type": lambda r: f"{r.title} must be {_a(r.required)}, not {_a(r.actual)}",
        "missing_obligation": lambda r: f"{r.title} is missing from the obligations",
        "unknown_obligation": lambda r: f"{r.title!r} is not an obligation Maestro knows",
        "wrong_value": lambda r: f"{r.title} must be {r.required}, not {_fmt(r.actual)}",
        "bad_name": lambda r: (
            f"{r.title}: {r.actual!r} is not a valid name (letters, digits, '.', '_', '-')"
        ),
        "empty_name": lambda r: f"{r.title} contains an empty name",
        "too_long": lambda r: f"{r.title}: {r.actual!r} is longer than {r.required} characters",
        "duplicate_entries": lambda r: f"{r.title} lists the same name more than once",
        "too_few_items": lambda r: f"{r.title} needs at least {r.required} entries",
        "too_many_items": lambda r: f"{r.title} allows at most {r.required} entries",
        "schema_violation": lambda r: f"{r.title}: {getattr(r, 'detail', '') or 'invalid value'}",
        # missing or unusable evidence
        "no_report": lambda r: f"no {_report(r)} was uploaded for this commit",
        "no_coverable_lines": lambda r: (
            "the coverage report measures none of the lines this change adds"
        ),
        "no_diff": lambda r: "a coverage report arrived but there is no diff to measure it on",
        "no_valid_mutants": lambda r: "the mutation report has no valid mutant to score",
        "evidence_invalid": lambda r: _invalid(r),
        "evidence_timeout": _timeout,
        "no_threshold": lambda r: f"{r.title} has no threshold in the policy",
        # rules
        "rule_holds": lambda r: f"{r.title} holds",
        "rule_failed": _rule_failed,
        "guard_raised_risk": lambda r: (
            f"{r.title} raised the risk by {_fmt(r.details.get('risk'))}"
        ),
        "guard_invalidated_approvals": lambda r: (
            f"{r.title}: approvals given before the last push no longer count"
        ),
        "unknown_rule": lambda r: f"{r.title!r} is not defined in .github/maestro.yml",
        "no_rules_defined": lambda r: f"no {r.title.lower()} are defined in .github/maestro.yml",
        "waived": _waived,
        "policy_invalid": lambda r: f"{r.source or '.github/maestro.yml'} is invalid",
    }
)


def sentence(result: Explainable) -> str:
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
    if total == 1:
        return "The 1 required obligation passed"
    return f"All {total} {noun} passed"


# Evidence problem codes (checks.evidence) -> words.
_PROBLEMS: dict[str, str] = {
    "xml_malformed": "malformed XML",
    "xml_entities_forbidden": "XML entity declarations are not accepted",
    "not_cobertura": "not a Cobertura coverage report",
    "missing_attribute": "a required attribute is missing",
    "bad_number": "not a valid number",
    "lcov_malformed": "not an LCOV record",
    "lcov_outside_record": "a DA: line outside an SF: record",
    "lcov_empty": "the LCOV file has no SF: record",
    "json_malformed": "malformed JSON",
    "missing_field": "a required field is missing",
    "unknown_status": "unknown mutant status",
    "unknown_report_format": "Maestro does not recognise this report",
    "report_too_large": "the report is too large",
    "manifest_unparseable": "the file could not be parsed",
    "diff_bad_hunk": "malformed hunk header",
    "diff_hunk_short": "a hunk ends before its announced line count",
}


def problem_sentence(problem: EvidenceProblem) -> str:
    """'coverage.xml:12:5: malformed XML (mismatched tag)'."""
    where = problem.file
    if problem.line:
        where += f":{problem.line}" + (f":{problem.column}" if problem.column else "")
    elif problem.pointer:
        where += f" at {problem.pointer}"
    code = problem.code
    if code.startswith("schema_"):
        text = f"invalid obligations JSON ({code.removeprefix('schema_').replace('_', ' ')})"
    else:
        text = _PROBLEMS.get(code, code.replace("_", " "))
    return f"{where}: {text}" + (f" ({problem.detail})" if problem.detail else "")


def policy_problem_sentence(problem: PolicyProblem) -> str:
    """'.github/maestro.yml:4:18: thresholds.mutationScore: Input should be …' + the line."""
    where = problem.path + (f":{problem.line}" if problem.line else "")
    where += f":{problem.column}" if problem.line and problem.column else ""
    text = f"{where}: " + (f"{problem.loc}: " if problem.loc else "") + problem.message
    if problem.snippet:
        text += f"\n    {problem.snippet.strip()}"
    return text


def fact_sentence(fact: Fact | Mapping[str, Any]) -> str:
    """'changed("migrations/**") is true (migrations/0003.sql)'."""
    data = fact if isinstance(fact, Mapping) else fact.model_dump()
    value = data.get("value")
    shown = str(value).lower() if isinstance(value, bool) else _fmt(value)
    if isinstance(value, float) and value.is_integer():
        shown = str(int(value))
    items = data.get("items") or []
    return f"{data.get('expr')} is {shown}" + (f" ({', '.join(items)})" if items else "")


_WAIVER_REASONS: dict[str, str] = {
    "waiver_allowed": "waiver accepted",
    "waiver_permission_too_low": "only users with the {min} role or above may waive",
    "waiver_not_waivable": "this repository's policy does not allow waiving this obligation",
    "waiver_too_long": "the waiver lasts longer than the policy allows",
    "waiver_expired": "the waiver has expired",
    "waiver_other_head": "the waiver was given for another commit",
}


def waiver_sentence(decision: WaiverDecision) -> str:
    text = _WAIVER_REASONS.get(decision.reason, decision.reason.replace("_", " "))
    return text.replace("{min}", decision.min_permission or "maintain")
