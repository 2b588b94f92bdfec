"""Turns obligation results (data) into the sentences shown on the Proof Card.

The logic in `checks/` returns reason codes with required/actual values; this module is the one
place that phrases them, so wording changes never touch a verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from checks.explain_waivers import waiver_reason_text as waiver_reason_text
from checks.explain_waivers import waiver_sentence as waiver_sentence
from checks.proofcard import ObligationStatus, ProofCard

if TYPE_CHECKING:
    from checks.evidence.model import Annotation, EvidenceProblem
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
        # tiny ratios keep three significant digits instead of printing "0.00"
        return f"{value:.3g}" if 0 < abs(value) < 0.1 else f"{value:.2f}"
    return "—" if value is None else str(value)


def duration_ms(ms: float) -> str:
    """A duration given in milliseconds, with significant digits and a unit:
    0.00329 → "3.29 µs", 12.345 → "12.35 ms", 1000.0 → "1000 ms", 25300 → "25.3 s"."""
    if ms == 0:
        return "0 ms"
    if abs(ms) < 1:
        return f"{ms * 1000:.3g} µs"
    if abs(ms) < 10_000:
        return f"{ms:.4g} ms"
    return f"{ms / 1000:.3g} s"


# Obligations whose values are durations in milliseconds.
_DURATION_KEYS = frozenset({"perfP95BudgetMs"})


def value_text(key: str, value: object) -> str:
    """An obligation's required or actual value as the card shows it (units where it has one)."""
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if numeric and key.split(".", 1)[0] in _DURATION_KEYS:
        return duration_ms(float(value))  # type: ignore[arg-type]
    return _fmt(value)


_COMPARATORS = {">=": "≥", "<=": "≤"}


def required_text(r: Explainable) -> str:
    """The Required cell: "≥ 0.90", "≤ 1000 ms", or the rule an invariant must satisfy."""
    comparator = getattr(r, "comparator", None)
    symbol = _COMPARATORS.get(getattr(comparator, "value", ""), "")
    if r.required is None:
        return "—"
    if symbol:
        return f"{symbol} {_req(r)}"
    return str(r.required)


def actual_text(r: Explainable) -> str:
    """The Actual cell: the measured value with its unit; a risk raised by CEP guards shows the
    guards' share, e.g. "0.60 (0.30 + 0.30 from CEP guards)"."""
    text = _act(r)
    if r.details.get("guard_risk"):
        base = value_text(r.key, r.details.get("base_risk"))
        text += f" ({base} + {_fmt(float(r.details['guard_risk']))} from CEP guards)"
    return text


def _act(r: Explainable) -> str:
    return value_text(r.key, r.actual)


def _req(r: Explainable) -> str:
    return value_text(r.key, r.required)


_REASONS: dict[str, Callable[[Explainable], str]] = {
    "within_limit": lambda r: f"{r.title} {_act(r)} is within the limit of {_req(r)}",
    "above_limit": lambda r: f"{r.title} {_act(r)} is above the limit of {_req(r)}",
    "meets_minimum": lambda r: f"{r.title} {_act(r)} meets the required {_req(r)}",
    "below_minimum": lambda r: f"{r.title} {_act(r)} is below the required {_req(r)}",
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
    if r.details.get("waiver_owner"):
        text += f" (owner @{r.details['waiver_owner']})"
    if r.details.get("waiver_expires"):
        from datetime import datetime

        from checks.obligations.waivers import last_day

        expires = datetime.fromisoformat(str(r.details["waiver_expires"]))
        text += f" until {last_day(expires).isoformat()}"
    if r.details.get("waiver_reason"):
        text += f": {r.details['waiver_reason']}"
    return text


def _rule_failed(r: Explainable) -> str:
    facts = r.details.get("facts") or []
    why = "; ".join(fact_sentence(f) for f in facts)
    return f"{r.title} does not hold: {r.required}" + (f" ({why})" if why else "")


def _rule_undecided(r: Explainable) -> str:
    facts = [f for f in r.details.get("facts") or [] if f.get("value") is None]
    why = "; ".join(fact_sentence(f) for f in facts)
    return f"{r.title} could not be decided: {r.required}" + (f" ({why})" if why else "")


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
        "not_above_minimum": lambda r: f"{r.title} {_act(r)} must be above {_req(r)}",
        "not_below_limit": lambda r: f"{r.title} {_act(r)} must be below {_req(r)}",
        "wrong_type": lambda r: f"{r.title} must be {_a(r.required)}, not {_a(r.actual)}",
        "missing_obligation": lambda r: f"{r.title} is missing from the obligations",
        "unknown_obligation": lambda r: f"{r.title!r} is not an obligation Maestro knows",
        "wrong_value": lambda r: f"{r.title} must be {r.required}, not {_act(r)}",
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
        "evidence_not_configured": lambda r: (
            f"no {_report(r)} was uploaded; this repository has no .github/maestro.yml, "
            "so missing CI evidence does not block"
        ),
        "no_threshold": lambda r: f"{r.title} has no threshold in the policy",
        # rules
        "rule_holds": lambda r: f"{r.title} holds",
        "rule_failed": _rule_failed,
        "rule_undecided": _rule_undecided,
        "guard_raised_risk": lambda r: (
            f"{r.title} does not hold, so it adds {_fmt(r.details.get('risk'))} to the risk"
        ),
        "guard_invalidated_approvals": lambda r: (
            f"{r.title}: approvals given before the last push no longer count"
        ),
        "unknown_rule": lambda r: f"{r.title!r} is not defined in .github/maestro.yml",
        "no_rules_defined": lambda r: f"no {r.title.lower()} are defined in .github/maestro.yml",
        "waived": _waived,
        "policy_invalid": lambda r: _policy_invalid(r),
    }
)


def _policy_invalid(result: Explainable) -> str:
    """'.github/maestro.yml is invalid: line 3, column 18: thresholds.mutationScore: …'."""
    text = f"{result.source or '.github/maestro.yml'} is invalid"
    details = getattr(result, "details", None) or {}
    problems = details.get("problems") or []
    if not problems:
        return text
    first = problems[0]
    where = f"line {first['line']}" if first.get("line") else ""
    if where and first.get("column"):
        where += f", column {first['column']}"
    loc = f"{first['loc']}: " if first.get("loc") else ""
    text += f": {where + ': ' if where else ''}{loc}{first['message']}"
    if len(problems) > 1:
        text += f" (and {len(problems) - 1} more)"
    return text


def sentence(result: Explainable) -> str:
    """One sentence explaining `result`; unknown reason codes fall back to the code itself."""
    render = _REASONS.get(result.reason)
    if render is None:
        return result.reason.replace("_", " ")
    return render(result)


def card_title(card: ProofCard) -> str:
    """The check-run title: the verdict in words, e.g. "2 of 6 obligations failed"."""
    if card.superseded_by:
        return f"Superseded by {card.superseded_by[:7]}"
    if card.trouble is not None:
        if card.trouble.retrying:
            return "Maestro hit a problem and is retrying"
        return "Maestro could not finish"
    total = len(card.required_results)
    if total == 0:
        return "No obligation is required by this repository's policy"
    failed = card.count(ObligationStatus.FAILED)
    waived = card.count(ObligationStatus.WAIVED)
    pending = [r for r in card.results if r.status is ObligationStatus.PENDING]
    unconfigured = sum(1 for r in pending if r.reason == "evidence_not_configured")
    awaiting = len(pending) - unconfigured
    met = total - failed - len(pending)
    noun = "obligation" if total == 1 else "obligations"
    verb = f"met ({waived} waived)" if waived else "passed"
    tail = ""
    if awaiting:
        tail += f", {awaiting} awaiting evidence"
    if unconfigured:
        tail += f", {unconfigured} without CI evidence"
    if failed:
        title = f"{failed} of {total} {noun} failed" + tail
        return title + (" (draft: not blocking)" if card.draft else "")
    if pending:
        return f"{met} of {total} {noun} {verb}" + tail
    if total == 1:
        return "The 1 required obligation was waived" if waived else f"The 1 required {noun} passed"
    return f"All {total} {noun} {verb}"


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


# Why a rule fact is unknown (checks.rules.functions `unknown_reason`) -> words.
_UNKNOWN: dict[str, str] = {
    "team_membership_unreadable": (
        "team membership of {items} could not be read; Maestro needs the organization "
        "permission Members: read, which an organization owner grants on the app's installation"
    ),
}


def fact_sentence(fact: Fact | Mapping[str, Any]) -> str:
    """'changed("migrations/**") is true (migrations/0003.sql)'."""
    data = fact if isinstance(fact, Mapping) else fact.model_dump()
    value = data.get("value")
    if value is None:
        why = _UNKNOWN.get(data.get("unknown") or "", "it could not be read")
        return f"{data.get('expr')} is unknown: " + why.format(
            items=", ".join(data.get("items") or [])
        )
    shown = str(value).lower() if isinstance(value, bool) else _fmt(value)
    if isinstance(value, float) and value.is_integer():
        shown = str(int(value))
    items = data.get("items") or []
    return f"{data.get('expr')} is {shown}" + (f" ({', '.join(items)})" if items else "")


# Line annotation codes (checks.evidence.model.Annotation.code) -> (title, message).
_ANNOTATIONS: dict[str, tuple[str, str]] = {
    "uncovered_lines": (
        "Changed lines not covered by tests",
        "The coverage report shows no test running {lines}, which this pull request adds or "
        "changes ({obligation}).",
    ),
}


def annotation_text(annotation: Annotation, result: Explainable) -> tuple[str, str]:
    """(title, message) of a check-run annotation on the lines a result points at."""
    if annotation.start_line == annotation.end_line:
        lines = f"line {annotation.start_line}"
    else:
        lines = f"lines {annotation.start_line}–{annotation.end_line}"
    title, message = _ANNOTATIONS.get(
        annotation.code, (annotation.code.replace("_", " "), "{obligation}: {lines}")
    )
    return title, message.format(lines=lines, obligation=result.title)
