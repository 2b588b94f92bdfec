"""The verifier gate: policy + evidence + PR facts + Maestro-computed values -> one
`ObligationResult` per obligation (and per named invariant / CEP guard).

Missing evidence is PENDING with the source Maestro waits for, never a pass; malformed evidence
FAILS naming the file and line; computed values (risk, SBOM criticals, PII findings) that have
not arrived stay PENDING ("pending_evidence"). Waivers apply last, and only when allowed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from checks.evidence.model import Evidence, EvidenceProblem, Measurement
from checks.obligations.catalog import SPECS, THRESHOLD_KEYS
from checks.obligations.waivers import Waiver, apply_waivers
from checks.policy.model import Policy, RuleSpec
from checks.policy.resolve import Effective, resolve
from checks.proofcard import Comparator, ObligationResult, ObligationStatus
from checks.rules.evaluate import Outcome, evaluate
from checks.rules.facts import Approval, PullRequestFacts

ORDER = (
    "specCoverage",
    "invariants",
    "cepGuards",
    "mutationScore",
    "perfP95BudgetMs",
    "riskCap",
    "sbomCriticals",
    "piiFindings",
)


class ComputedEvidence(BaseModel):
    """Values Maestro computes itself; an absent key means "not computed yet", unless a problem
    names it (e.g. a dependency manifest the pull request broke), which fails it."""

    measurements: dict[str, Measurement] = Field(default_factory=dict)
    problems: list[EvidenceProblem] = Field(default_factory=list)

    def problems_for(self, key: str) -> list[EvidenceProblem]:
        return [p for p in self.problems if p.obligation == key]

    @classmethod
    def of(cls, **values: tuple[float | int, str]) -> ComputedEvidence:
        """ComputedEvidence.of(riskCap=(0.42, "blast radius: 3 services"))."""
        return cls(
            measurements={
                k: Measurement(key=k, value=v, source=src) for k, (v, src) in values.items()
            }
        )


class RuleVerdict(BaseModel):
    name: str
    kind: str  # "invariants" | "cepGuards"
    rule: str
    holds: bool
    outcome: Outcome
    spec: RuleSpec


def _threshold_result(
    key: str,
    eff: Effective,
    evidence: Evidence,
    computed: ComputedEvidence,
    guard_risks: list[dict[str, Any]],
) -> ObligationResult:
    spec = SPECS[key]
    source = computed.measurements if spec.computed else evidence.measurements
    found = source.get(key)
    details: dict[str, Any] = {"decided_by": eff.decided_by}
    if eff.file:
        details["threshold_file"] = eff.file
    base: dict[str, Any] = {
        "key": key,
        "title": spec.title,
        "comparator": spec.comparator,
        "required": eff.threshold,
    }
    if found is not None:
        details.update(found.details)
        if found.annotations:
            details["annotations"] = [a.model_dump() for a in found.annotations]
    if not eff.required:
        return ObligationResult(
            **base,
            status=ObligationStatus.NOT_REQUIRED,
            reason="not_required",
            actual=found.value if found else None,
            source=found.source if found else "",
            details=details,
        )
    problems = (computed if spec.computed else evidence).problems_for(key)
    if found is None and problems:
        details["problems"] = [p.model_dump(exclude_none=True) for p in problems]
        return ObligationResult(
            **base,
            status=ObligationStatus.FAILED,
            reason="evidence_invalid",
            source=", ".join(sorted({p.file for p in problems})),
            details=details,
        )
    if found is None:
        return ObligationResult(
            **base,
            status=ObligationStatus.PENDING,
            reason=evidence.empty.get(key, "no_report")
            if not spec.computed
            else "pending_evidence",
            source=spec.awaits,
            details=details,
        )
    actual: float | int = found.value
    extra_risk = sum(float(g["risk"]) for g in guard_risks)
    facts: list[str] = list(found.facts)
    if key == "riskCap" and extra_risk:
        details.update(base_risk=found.value, guard_risk=extra_risk, guards=guard_risks)
        actual = round(min(1.0, float(found.value) + extra_risk), 4)
    if eff.threshold is None:  # cannot happen: every threshold key has a default
        return ObligationResult(**base, status=ObligationStatus.PENDING, reason="no_threshold")
    if spec.comparator is Comparator.AT_LEAST:
        ok, reason = actual >= eff.threshold, ("meets_minimum", "below_minimum")
    else:
        ok, reason = actual <= eff.threshold, ("within_limit", "above_limit")
    return ObligationResult(
        **base,
        status=ObligationStatus.PASSED if ok else ObligationStatus.FAILED,
        reason=reason[0] if ok else reason[1],
        actual=actual,
        source=found.source,
        facts=facts,
        details=details,
    )


def evaluate_rules(
    rules: dict[str, RuleSpec], kind: str, facts: PullRequestFacts
) -> list[RuleVerdict]:
    verdicts = []
    for name, spec in rules.items():
        outcome = evaluate(spec.expr, facts)
        verdicts.append(
            RuleVerdict(
                name=name,
                kind=kind,
                rule=spec.rule,
                holds=bool(outcome.value),
                outcome=outcome,
                spec=spec,
            )
        )
    return verdicts


def _items(outcome: Outcome) -> list[str]:
    return [item for fact in outcome.facts for item in fact.items]


def _rule_result(v: RuleVerdict, required: bool) -> ObligationResult:
    details: dict[str, Any] = {
        "rule": v.rule,
        "effect": v.spec.effect,
        "facts": [f.model_dump() for f in v.outcome.facts],
    }
    if v.spec.description:
        details["description"] = v.spec.description
    if v.outcome.undecided:
        details["undecided"] = True
    if not required:
        status, reason = ObligationStatus.NOT_REQUIRED, "not_required"
    elif v.holds:
        status, reason = ObligationStatus.PASSED, "rule_holds"
    elif v.outcome.undecided and v.spec.effect == "block":
        # a fact GitHub would not show: neither a silent pass nor an unexplained failure
        status, reason = ObligationStatus.FAILED, "rule_undecided"
    elif v.spec.effect == "risk":
        status, reason = ObligationStatus.NOT_REQUIRED, "guard_raised_risk"
        details["risk"] = v.spec.risk
    elif v.spec.effect == "invalidate_approvals":
        status, reason = ObligationStatus.NOT_REQUIRED, "guard_invalidated_approvals"
    else:
        status, reason = ObligationStatus.FAILED, "rule_failed"
    return ObligationResult(
        key=f"{v.kind}.{v.name}",
        title=v.name,
        status=status,
        comparator=Comparator.ALL_HOLD,
        required=v.rule,
        actual="holds" if v.holds else ("undecided" if v.outcome.undecided else "fails"),
        source=".github/maestro.yml",
        reason=reason,
        facts=[] if v.holds else _items(v.outcome),
        details=details,
    )


def _invalidate_stale_approvals(facts: PullRequestFacts) -> tuple[PullRequestFacts, list[str]]:
    """Drop approvals given before the last push: an approval of a commit that is no longer the
    head (GitHub's stale review), or, when the approved commit is unknown, one older than the
    last push event."""
    pushes = [e.at for e in facts.events if e.kind == "push"]
    last_push = max(pushes) if pushes else None

    def fresh(a: Approval) -> bool:
        if a.commit_sha and facts.head_sha:
            return a.commit_sha == facts.head_sha
        return last_push is None or a.at is None or a.at >= last_push

    keep = [a for a in facts.approvals if fresh(a)]
    dropped = [a.user for a in facts.approvals if a not in keep]
    return facts.model_copy(update={"approvals": keep}), dropped


def verify(
    policy: Policy,
    evidence: Evidence,
    facts: PullRequestFacts,
    computed: ComputedEvidence | None = None,
    waivers: Sequence[Waiver] = (),
    now: datetime | None = None,
) -> list[ObligationResult]:
    """Every obligation's verdict for this pull-request head, in card order."""
    computed = computed or ComputedEvidence()
    eff = resolve(policy, facts.changed_files)

    guards = evaluate_rules(policy.cep_guards, "cepGuards", facts)
    guard_risks: list[dict[str, Any]] = []
    for g in guards:
        if g.holds:
            continue
        if g.spec.effect == "risk":
            guard_risks.append({"name": g.name, "risk": g.spec.risk})
        elif g.spec.effect == "invalidate_approvals":
            facts, _dropped = _invalidate_stale_approvals(facts)
    invariants = evaluate_rules(policy.invariants, "invariants", facts)

    results: list[ObligationResult] = []
    for key in ORDER:
        if key in THRESHOLD_KEYS:
            results.append(_threshold_result(key, eff[key], evidence, computed, guard_risks))
            continue
        verdicts = invariants if key == "invariants" else guards
        declared = evidence.invariants if key == "invariants" else evidence.cep_guards
        known = {v.name for v in verdicts}
        results.extend(_rule_result(v, eff[key].required) for v in verdicts)
        for name in sorted(set(declared) - known):
            results.append(
                ObligationResult(
                    key=f"{key}.{name}",
                    title=name,
                    status=ObligationStatus.FAILED,
                    comparator=Comparator.ALL_HOLD,
                    source="maestro-evidence",
                    reason="unknown_rule",
                    details={"kind": key},
                )
            )
        if not verdicts and not declared and eff[key].required:
            results.append(
                ObligationResult(
                    key=key,
                    title=SPECS[key].title,
                    status=ObligationStatus.NOT_REQUIRED,
                    comparator=Comparator.ALL_HOLD,
                    source=".github/maestro.yml",
                    reason="no_rules_defined",
                )
            )
    if waivers:
        results = apply_waivers(
            results, policy, waivers, now or datetime.now().astimezone(), facts.head_sha or None
        )
    return results


def _awaits_ci(r: ObligationResult) -> bool:
    spec = SPECS.get(r.key.split(".", 1)[0])
    return spec is not None and not spec.computed and spec.key in THRESHOLD_KEYS


def apply_evidence_timeout(
    results: Sequence[ObligationResult], policy: Policy, waiting_since: datetime, now: datetime
) -> list[ObligationResult]:
    """After `evidence.timeout_minutes`, CI evidence still pending fails with the reason it was
    pending; values Maestro computes itself stay pending (Maestro's trouble is never red).

    A repository that never configured Maestro (no `.github/maestro.yml`) and whose CI uploaded
    no evidence at all gets no wall of red: those obligations stay pending, no longer awaited
    (`evidence_not_configured`), and the card says how to upload evidence.
    """
    if now - waiting_since < timedelta(minutes=policy.evidence.timeout_minutes):
        return list(results)
    ci = [r for r in results if _awaits_ci(r) and r.status is not ObligationStatus.NOT_REQUIRED]
    never_set_up = not policy.configured and all(
        r.status is ObligationStatus.PENDING and r.reason == "no_report" for r in ci
    )
    out = []
    for r in results:
        if r.status is ObligationStatus.PENDING and _awaits_ci(r):
            details = {
                **r.details,
                "pending_reason": r.reason,
                "timeout_minutes": policy.evidence.timeout_minutes,
            }
            status = ObligationStatus.PENDING if never_set_up else ObligationStatus.FAILED
            reason = "evidence_not_configured" if never_set_up else "evidence_timeout"
            r = r.model_copy(update={"status": status, "reason": reason, "details": details})
        out.append(r)
    return out
