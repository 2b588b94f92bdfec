"""The verifier gate: pass, fail, pending (never a fake pass), waived, guard effects, timeouts."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from checks.evidence.artifact import collect_evidence
from checks.evidence.model import Evidence, EvidenceProblem, Measurement
from checks.explain import sentence, waiver_sentence
from checks.obligations.verify import ComputedEvidence, apply_evidence_timeout, verify
from checks.obligations.waivers import Waiver, decide_waiver
from checks.policy.model import Policy
from checks.policy.parse import parse_policy
from checks.proofcard import Conclusion, ObligationStatus, ProofCard
from checks.rules.facts import Approval, PrEvent, PullRequestFacts

FIXTURES = Path(__file__).parents[1] / "fixtures" / "obligations"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
HEAD = "c" * 40

POLICY_TEXT = """\
invariants:
  migrations-need-dba: changed("migrations/**") => approved_by_team("@org/dba")
  changelog: changed("src/**") => changed("CHANGELOG.md")
cep_guards:
  fresh-approval:
    rule: "!pushed_after_approval()"
    effect: invalidate_approvals
  revert-storm:
    rule: max_same_path("revert", 24h) < 2
    effect: risk
    risk: 0.3
  small:
    rule: lines_changed() < 400
waivers:
  min_permission: maintain
  not_waivable: [sbomCriticals]
"""


def _policy(text: str = POLICY_TEXT) -> Policy:
    policy = parse_policy(text)
    assert isinstance(policy, Policy)
    return policy


def _evidence(**values: float) -> Evidence:
    return Evidence(
        measurements={
            k: Measurement(key=k, value=v, source=f"{k}.report") for k, v in values.items()
        }
    )


def _facts(**kw: object) -> PullRequestFacts:
    base: dict[str, object] = {
        "changed_files": ["src/app.py", "CHANGELOG.md"],
        "lines_added": 40,
        "lines_removed": 2,
        "head_sha": HEAD,
    }
    return PullRequestFacts.model_validate({**base, **kw})


ALL_COMPUTED = ComputedEvidence.of(
    riskCap=(0.3, "blast radius"), sbomCriticals=(0, "SBOM delta"), piiFindings=(0, "PII scan")
)
GOOD = {"specCoverage": 0.95, "mutationScore": 0.8, "perfP95BudgetMs": 90.0}


def _by_key(results: list) -> dict:  # type: ignore[type-arg]
    return {r.key: r for r in results}


def _card(results: list) -> ProofCard:  # type: ignore[type-arg]
    return ProofCard(repository="o/r", pull_number=1, head_sha=HEAD, results=results)


def test_everything_passes() -> None:
    results = verify(_policy(), _evidence(**GOOD), _facts(), ALL_COMPUTED)
    assert _card(results).conclusion is Conclusion.SUCCESS
    r = _by_key(results)
    assert r["specCoverage"].status is ObligationStatus.PASSED
    assert sentence(r["specCoverage"]) == "Spec coverage 0.95 meets the required 0.90"
    assert r["invariants.changelog"].status is ObligationStatus.PASSED
    # PII and secrets are gated by default: no policy needs to name piiFindings.
    assert r["piiFindings"].status is ObligationStatus.PASSED
    assert sentence(r["piiFindings"]) == "PII findings 0 is within the limit of 0"


def test_pii_findings_fail_the_card_without_naming_them_in_the_policy() -> None:
    assert "piiFindings" not in POLICY_TEXT
    computed = ComputedEvidence.of(
        riskCap=(0.3, "blast radius"), sbomCriticals=(0, "SBOM delta"), piiFindings=(2, "PII scan")
    )
    results = verify(_policy(), _evidence(**GOOD), _facts(), computed)
    r = _by_key(results)
    assert _card(results).conclusion is Conclusion.FAILURE
    assert r["piiFindings"].status is ObligationStatus.FAILED
    assert sentence(r["piiFindings"]) == "PII findings 2 is above the limit of 0"


def test_failures_say_why() -> None:
    evidence = _evidence(**{**GOOD, "mutationScore": 0.62})
    facts = _facts(
        changed_files=["migrations/0004.sql", "src/app.py", "CHANGELOG.md"],
        approvals=[Approval(user="alice", teams=["org/web"])],
    )
    results = verify(_policy(), evidence, facts, ALL_COMPUTED)
    r = _by_key(results)
    assert _card(results).conclusion is Conclusion.FAILURE
    assert sentence(r["mutationScore"]) == "Mutation score 0.62 is below the required 0.70"
    dba = r["invariants.migrations-need-dba"]
    assert dba.status is ObligationStatus.FAILED
    assert dba.facts == ["migrations/0004.sql", "alice"]
    assert sentence(dba) == (
        'migrations-need-dba does not hold: changed("migrations/**") => '
        'approved_by_team("@org/dba") (changed("migrations/**") is true (migrations/0004.sql); '
        'approved_by_team("@org/dba") is false (alice))'
    )


def test_missing_evidence_is_pending_never_passed() -> None:
    results = verify(_policy(), Evidence(), _facts(), ComputedEvidence())
    r = _by_key(results)
    assert _card(results).conclusion is Conclusion.NEUTRAL
    for key in ("specCoverage", "mutationScore", "perfP95BudgetMs"):
        assert r[key].status is ObligationStatus.PENDING
        assert r[key].reason == "no_report"
    assert sentence(r["specCoverage"]) == "no coverage report was uploaded for this commit"
    for key in ("riskCap", "sbomCriticals", "piiFindings"):
        assert (r[key].status, r[key].reason) == (ObligationStatus.PENDING, "pending_evidence")
    assert sentence(r["sbomCriticals"]).startswith("waiting for evidence: the dependency")


def test_empty_coverage_is_pending_with_its_reason() -> None:
    docs = (
        b"diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n"
        b"@@ -1 +1 @@\n-a\n+b\n"
    )
    evidence = collect_evidence(
        {"coverage.xml": (FIXTURES / "coverage.xml").read_bytes(), "p.diff": docs}
    )
    r = _by_key(verify(_policy(), evidence, _facts(), ALL_COMPUTED))
    assert (r["specCoverage"].status, r["specCoverage"].reason) == (
        ObligationStatus.PENDING,
        "no_coverable_lines",
    )


def test_malformed_evidence_fails_naming_file_and_line() -> None:
    evidence = Evidence(
        problems=[
            EvidenceProblem(
                file="coverage.xml",
                line=7,
                column=3,
                code="xml_malformed",
                detail="mismatched tag",
                obligation="specCoverage",
            )
        ]
    )
    r = _by_key(verify(_policy(), evidence, _facts(), ALL_COMPUTED))
    assert r["specCoverage"].status is ObligationStatus.FAILED
    assert sentence(r["specCoverage"]) == (
        "the coverage report could not be read: coverage.xml:7:3: malformed XML (mismatched tag)"
    )


def test_real_reports_through_the_gate() -> None:
    names = ["coverage.xml", "pr.diff", "mutmut-cicd-stats.json", "pytest-benchmark-data.json"]
    evidence = collect_evidence({n: (FIXTURES / n).read_bytes() for n in names})
    facts = _facts(changed_files=["src/shop/pricing.py", "tests/test_pricing.py"])
    r = _by_key(verify(_policy(), evidence, facts, ALL_COMPUTED))
    assert sentence(r["specCoverage"]) == "Spec coverage 0.80 is below the required 0.90"
    assert r["specCoverage"].details["annotations"][0]["start_line"] == 21
    assert r["perfP95BudgetMs"].status is ObligationStatus.PASSED
    assert r["invariants.changelog"].status is ObligationStatus.FAILED


def test_per_path_budget_applies() -> None:
    policy = _policy(
        "overrides:\n  - paths: ['services/api/**']\n    thresholds:\n      perfP95BudgetMs: 50\n"
    )
    api = _by_key(
        verify(policy, _evidence(**GOOD), _facts(changed_files=["services/api/a.py"]), ALL_COMPUTED)
    )
    assert api["perfP95BudgetMs"].status is ObligationStatus.FAILED
    assert api["perfP95BudgetMs"].details["decided_by"] == "overrides[0] (services/api/**)"
    web = _by_key(
        verify(policy, _evidence(**GOOD), _facts(changed_files=["services/web/a.py"]), ALL_COMPUTED)
    )
    assert web["perfP95BudgetMs"].status is ObligationStatus.PASSED


def test_push_after_approval_invalidates_it() -> None:
    t = NOW - timedelta(hours=5)
    facts = _facts(
        changed_files=["migrations/1.sql"],
        approvals=[Approval(user="dana", teams=["org/dba"], at=t + timedelta(hours=1))],
        events=[
            PrEvent(kind="push", at=t),
            PrEvent(kind="approval", at=t + timedelta(hours=1)),
            PrEvent(kind="push", at=t + timedelta(hours=2), sha="d" * 40),
        ],
    )
    r = _by_key(verify(_policy(), _evidence(**GOOD), facts, ALL_COMPUTED))
    assert r["cepGuards.fresh-approval"].reason == "guard_invalidated_approvals"
    assert r["invariants.migrations-need-dba"].status is ObligationStatus.FAILED
    fresh = facts.model_copy(update={"events": facts.events[:2]})
    r = _by_key(verify(_policy(), _evidence(**GOOD), fresh, ALL_COMPUTED))
    assert r["invariants.migrations-need-dba"].status is ObligationStatus.PASSED


def test_second_revert_raises_risk() -> None:
    t = NOW - timedelta(hours=10)
    facts = _facts(
        events=[
            PrEvent(kind="revert", at=t, paths=["src/app.py"]),
            PrEvent(kind="revert", at=t + timedelta(hours=3), paths=["src/app.py"]),
        ]
    )
    r = _by_key(verify(_policy(), _evidence(**GOOD), facts, ALL_COMPUTED))
    assert r["cepGuards.revert-storm"].reason == "guard_raised_risk"
    assert r["riskCap"].actual == 0.6
    assert r["riskCap"].details == {**r["riskCap"].details, "base_risk": 0.3, "guard_risk": 0.3}
    assert r["riskCap"].status is ObligationStatus.PASSED
    big = facts.model_copy(update={"lines_added": 500})
    r = _by_key(verify(_policy(), _evidence(**GOOD), big, ALL_COMPUTED))
    assert r["cepGuards.small"].status is ObligationStatus.FAILED


def test_waivers_allowed_and_refused() -> None:
    evidence = _evidence(**{**GOOD, "mutationScore": 0.5})
    maintainer = Waiver(
        obligation="mutationScore",
        by="maria",
        reason="legacy module",
        permission="maintain",
        created_at=NOW - timedelta(days=1),
        head_sha=HEAD,
    )
    writer = maintainer.model_copy(update={"by": "wes", "permission": "write"})
    results = verify(_policy(), evidence, _facts(), ALL_COMPUTED, [writer], now=NOW)
    refused = _by_key(results)["mutationScore"]
    assert refused.status is ObligationStatus.FAILED
    assert refused.details["refused_waivers"] == [
        {"by": "wes", "reason": "waiver_permission_too_low"}
    ]
    results = verify(_policy(), evidence, _facts(), ALL_COMPUTED, [writer, maintainer], now=NOW)
    waived = _by_key(results)["mutationScore"]
    assert waived.status is ObligationStatus.WAIVED
    assert sentence(waived) == "waived by maria until 2026-03-15: legacy module"
    assert _card(results).conclusion is Conclusion.SUCCESS


def test_waiver_decisions() -> None:
    policy = _policy()
    base = Waiver(
        obligation="specCoverage",
        by="maria",
        reason="r",
        permission="admin",
        created_at=NOW - timedelta(days=1),
        head_sha=HEAD,
    )
    cases = {
        "waiver_allowed": base,
        "waiver_permission_too_low": base.model_copy(update={"permission": "triage"}),
        "waiver_not_waivable": base.model_copy(update={"obligation": "sbomCriticals"}),
        "waiver_too_long": base.model_copy(update={"expires_at": NOW + timedelta(days=60)}),
        "waiver_expired": base.model_copy(update={"created_at": NOW - timedelta(days=20)}),
        "waiver_other_head": base.model_copy(update={"head_sha": "e" * 40}),
    }
    for reason, waiver in cases.items():
        decision = decide_waiver(policy, waiver, NOW, HEAD)
        assert decision.reason == reason
        assert decision.allowed is (reason == "waiver_allowed")
        assert waiver_sentence(decision)
    assert waiver_sentence(decide_waiver(policy, cases["waiver_permission_too_low"], NOW)) == (
        "the author's role (triage) is below the maintain role this repository requires"
    )
    listed = _policy("waivers:\n  users: [release-bot]\n  teams: ['@org/leads']\n")
    assert decide_waiver(
        listed, base.model_copy(update={"by": "release-bot", "permission": None}), NOW
    ).allowed
    assert decide_waiver(
        listed,
        base.model_copy(update={"by": "x", "permission": "read", "teams": ["org/leads"]}),
        NOW,
    ).allowed
    whole = base.model_copy(update={"obligation": "invariants"})
    results = verify(
        policy,
        _evidence(**GOOD),
        _facts(changed_files=["src/x.py"]),
        ALL_COMPUTED,
        [whole],
        now=NOW,
    )
    assert _by_key(results)["invariants.changelog"].status is ObligationStatus.WAIVED


def test_timeout_fails_ci_evidence_but_not_maestros_own() -> None:
    results = verify(_policy(), Evidence(), _facts(), ComputedEvidence())
    early = apply_evidence_timeout(results, _policy(), NOW - timedelta(minutes=10), NOW)
    assert early == results
    late = _by_key(apply_evidence_timeout(results, _policy(), NOW - timedelta(hours=2), NOW))
    assert late["specCoverage"].status is ObligationStatus.FAILED
    assert sentence(late["specCoverage"]) == "no coverage report was uploaded within 60 minutes"
    assert late["riskCap"].status is ObligationStatus.PENDING


def test_no_rules_and_unknown_declared_rules() -> None:
    plain = Policy()
    r = _by_key(verify(plain, _evidence(**GOOD), _facts(), ALL_COMPUTED))
    assert r["invariants"].reason == "no_rules_defined"
    assert sentence(r["invariants"]) == "no invariants are defined in .github/maestro.yml"
    declared = Evidence(measurements=_evidence(**GOOD).measurements, invariants=["ghost"])
    r = _by_key(verify(plain, declared, _facts(), ALL_COMPUTED))
    assert r["invariants.ghost"].status is ObligationStatus.FAILED
    assert sentence(r["invariants.ghost"]) == "'ghost' is not defined in .github/maestro.yml"
