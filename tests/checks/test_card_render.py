"""The Proof Card as rendered: columns, evidence sources, per-result details, units, guards,
titles, the defaults note, cutting to GitHub's limit, annotations, trouble and superseded cards."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from app.render import MAX_SUMMARY_CHARS, fit_summary, render_proof_card
from checks.card_builder import (
    PullRequestRef,
    awaiting_ci_evidence,
    build_proof_card,
    policy_error_result,
    result_annotations,
    superseded_card,
    trouble_card,
)
from checks.evidence.artifact import collect_evidence
from checks.evidence.model import Evidence, EvidenceProblem, Measurement
from checks.explain import duration_ms, value_text
from checks.obligations.verify import ComputedEvidence, apply_evidence_timeout, verify
from checks.obligations.waivers import Waiver
from checks.policy.model import Policy
from checks.policy.parse import PolicyError, parse_policy
from checks.proofcard import Conclusion, ObligationResult, ObligationStatus, Trouble
from checks.rules.facts import PrEvent, PullRequestFacts

FIXTURES = Path(__file__).parents[1] / "fixtures" / "obligations"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
HEAD = "c" * 40
PR = PullRequestRef(repository="o/r", number=7, head_sha=HEAD, base_ref="main")
COMPUTED = ComputedEvidence.of(
    riskCap=(0.3, "blast radius on the code graph"),
    sbomCriticals=(0, "dependency delta checked against 12 OSV advisories"),
    piiFindings=(0, "PII and secret scan of 40 added lines"),
)
HEADER = "| Status | Obligation | Required | Actual | Evidence source | Reason |"
POLICY = """\
invariants:
  changelog: changed("src/**") => changed("CHANGELOG.md")
cep_guards:
  revert-storm:
    rule: max_same_path("revert", 24h) < 2
    effect: risk
    risk: 0.3
overrides:
  - paths: ["src/shop/**"]
    thresholds: {perfP95BudgetMs: 250}
"""


def _policy(text: str = POLICY) -> Policy:
    policy = parse_policy(text)
    assert isinstance(policy, Policy)
    return policy


def _facts(**kw: object) -> PullRequestFacts:
    base: dict[str, object] = {
        "changed_files": ["src/shop/pricing.py"],
        "lines_added": 10,
        "head_sha": HEAD,
        "now": NOW,
    }
    return PullRequestFacts.model_validate({**base, **kw})


def _reports() -> Evidence:
    names = ["coverage.xml", "pr.diff", "mutmut-cicd-stats.json", "pytest-benchmark-data.json"]
    evidence = collect_evidence({n: (FIXTURES / n).read_bytes() for n in names})
    for m in evidence.measurements.values():
        m.details["artifact"] = {"name": "maestro-evidence", "run_id": 123}
    return evidence


def _summary(results: list[ObligationResult], **kw: bool) -> tuple[str, str]:
    return render_proof_card(build_proof_card(PR, [], results, **kw))


def _rows(summary: str) -> dict[str, list[str]]:
    rows = {}
    for line in summary.splitlines():
        if line.startswith("| ") and not line.startswith(("| Status", "| ---")):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            rows[cells[1]] = cells
    return rows


def test_table_has_status_words_and_the_evidence_source_of_each_value() -> None:
    results = verify(_policy(), _reports(), _facts(), COMPUTED)
    _, summary = _summary(results)
    assert HEADER in summary
    rows = _rows(summary)
    assert rows["Spec coverage"][:4] == ["❌ failed", "Spec coverage", "≥ 0.90", "0.80"]
    assert rows["Spec coverage"][4] == (
        "coverage.xml (cobertura) × pr.diff, "
        "from the maestro-evidence artifact of workflow run #123"
    )
    assert rows["Risk"][4] == "blast radius on the code graph"
    assert rows["SBOM criticals"][4] == "dependency delta checked against 12 OSV advisories"
    assert rows["changelog"][4] == ".github/maestro.yml"
    assert rows["Spec coverage"][5] == "Spec coverage 0.80 is below the required 0.90"


def test_each_result_folds_out_what_decided_it() -> None:
    results = verify(_policy(), _reports(), _facts(), COMPUTED)
    _, summary = _summary(results)
    assert summary.count("<details><summary>") == len(_rows(summary))
    perf = summary.split("<b>p95 latency budget</b>", 1)[1].split("</details>", 1)[0]
    assert "Threshold ≤ 250 ms, from `overrides[0] (src/shop/**)` in .github/maestro.yml" in perf
    assert "which applies to `src/shop/pricing.py`" in perf
    coverage = summary.split("<b>Spec coverage</b>", 1)[1].split("</details>", 1)[0]
    assert "from the documented default (docs/policy.md)" in coverage
    assert "1 line range annotated on the changed files" in coverage


def test_durations_have_units_and_significant_digits() -> None:
    results = verify(_policy(""), _reports(), _facts(), COMPUTED)
    perf = _rows(_summary(results)[1])["p95 latency budget"]
    assert perf[2:4] == ["≤ 1000 ms", "3.29 µs"]
    assert perf[5] == "p95 latency budget 3.29 µs is within the limit of 1000 ms"
    assert [duration_ms(v) for v in (0.0, 0.5, 12.345, 1000.0, 25_300.0)] == [
        "0 ms",
        "500 µs",
        "12.35 ms",
        "1000 ms",
        "25.3 s",
    ]
    assert value_text("mutationScore", 0.7) == "0.70"


@given(st.floats(min_value=1e-9, max_value=1e9, allow_nan=False))
def test_a_positive_duration_never_prints_as_zero(ms: float) -> None:
    text = duration_ms(ms)
    number, unit = text.split(" ")
    assert unit in ("µs", "ms", "s") and float(number) > 0


def test_a_guard_that_raised_the_risk_is_shown_with_its_share_on_the_risk_row() -> None:
    t = NOW - timedelta(hours=10)
    reverts = [
        PrEvent(kind="revert", at=t, paths=["src/shop/pricing.py"]),
        PrEvent(kind="revert", at=t + timedelta(hours=1), paths=["src/shop/pricing.py"]),
    ]
    results = verify(_policy(), _reports(), _facts(events=reverts), COMPUTED)
    _, summary = _summary(results)
    rows = _rows(summary)
    assert rows["revert-storm"][0] == "⚠️ raised risk"
    assert rows["revert-storm"][5] == "revert-storm does not hold, so it adds 0.30 to the risk"
    assert rows["Risk"][3] == "0.60 (0.30 + 0.30 from CEP guards)"
    # piiFindings is required by default too, so nothing may be listed as not required at all.
    not_required = summary.split("Not required by this repository's policy", 1)[1:]
    assert not any("revert-storm" in part for part in not_required)
    risk = summary.split("<b>Risk</b>", 1)[1].split("</details>", 1)[0]
    assert "CEP guard `revert-storm` does not hold: +0.3 risk" in risk


def test_what_blocks_the_merge_names_each_fact_once() -> None:
    results = verify(_policy(), _reports(), _facts(), COMPUTED)
    _, summary = _summary(results)
    blocks = summary.split("**What blocks the merge**", 1)[1].split("\n\n", 1)[0]
    assert blocks.count('changed("CHANGELOG.md") is false') == 1
    assert blocks.count("src/shop/pricing.py") == 1


def test_results_carry_data_not_sentences() -> None:
    problem = EvidenceProblem(
        file="coverage.xml", line=7, code="xml_malformed", detail="bad", obligation="specCoverage"
    )
    (coverage,) = [
        r
        for r in verify(Policy(), Evidence(problems=[problem]), _facts(), COMPUTED)
        if r.key == "specCoverage"
    ]
    assert coverage.facts == []
    assert coverage.details["problems"][0]["line"] == 7
    error = parse_policy("thresholds:\n  riskCap: 2\n")
    assert isinstance(error, PolicyError)
    result = policy_error_result(error)
    assert result.facts == []
    _, summary = _summary([result])
    assert ".github/maestro.yml is invalid" in summary
    assert "- Problem: .github/maestro.yml:2:" in summary


def test_titles_count_waivers_as_met() -> None:
    evidence = Evidence(
        measurements={
            k: Measurement(key=k, value=v, source="r")
            for k, v in {"specCoverage": 0.95, "mutationScore": 0.5, "perfP95BudgetMs": 9.0}.items()
        }
    )
    waiver = Waiver(
        obligation="mutationScore",
        by="maria",
        reason="legacy",
        permission="maintain",
        created_at=NOW,
        head_sha=HEAD,
    )
    policy = _policy("invariants:\n  small: lines_changed() < 400\n")
    results = verify(policy, evidence, _facts(), COMPUTED, [waiver], now=NOW)
    title, _ = _summary(results)
    assert title == "All 7 obligations met (1 waived)"  # piiFindings is a default obligation
    passed, _ = _summary(verify(policy, evidence, _facts(), COMPUTED, [], now=NOW))
    assert passed == "1 of 7 obligations failed"


def test_the_defaults_note_appears_only_without_a_policy_file() -> None:
    results = verify(Policy(), _reports(), _facts(), COMPUTED)
    _, unconfigured = _summary(results, policy_configured=False)
    _, configured = _summary(results, policy_configured=True)
    assert "This repository has no `.github/maestro.yml`" in unconfigured
    assert "This repository has no `.github/maestro.yml`" not in configured


def test_missing_ci_evidence_blocks_only_a_repository_that_configured_maestro() -> None:
    late = NOW - timedelta(hours=2)
    unconfigured = Policy()
    assert not unconfigured.configured
    results = verify(unconfigured, Evidence(), _facts(), COMPUTED)
    after = apply_evidence_timeout(results, unconfigured, late, NOW)
    ci = [r for r in after if r.key in ("specCoverage", "mutationScore", "perfP95BudgetMs")]
    assert {(r.status, r.reason) for r in ci} == {
        (ObligationStatus.PENDING, "evidence_not_configured")
    }
    assert not awaiting_ci_evidence(after)
    card = build_proof_card(PR, [], after, policy_configured=False)
    assert card.conclusion is Conclusion.NEUTRAL
    title, summary = render_proof_card(card)
    assert title == "3 of 6 obligations passed, 3 without CI evidence"  # with piiFindings
    assert "upload a `maestro-evidence` artifact from CI" in summary

    configured = _policy("version: 1\n")
    after = apply_evidence_timeout(
        verify(configured, Evidence(), _facts(), COMPUTED), configured, late, NOW
    )
    assert {r.status for r in after if r.key == "specCoverage"} == {ObligationStatus.FAILED}
    # Some evidence arrived: the repository uses maestro-evidence, so the rest is owed.
    partial = Evidence(
        measurements={"specCoverage": Measurement(key="specCoverage", value=0.95, source="c")}
    )
    after = apply_evidence_timeout(
        verify(unconfigured, partial, _facts(), COMPUTED), unconfigured, late, NOW
    )
    assert {r.status for r in after if r.key == "mutationScore"} == {ObligationStatus.FAILED}


def test_a_long_card_is_cut_at_a_line_with_a_link_and_no_open_fold() -> None:
    summary = "<details><summary>x</summary>\n\n" + "| row |\n" * 20_000
    cut = fit_summary(summary, "https://maestro.example.test/cards/o/r/" + HEAD)
    assert len(summary) > MAX_SUMMARY_CHARS >= len(cut)
    assert "[Full Proof Card](https://maestro.example.test/cards/o/r/" + HEAD + ")" in cut
    assert cut.index("</details>") < cut.index("Full Proof Card")
    assert fit_summary("short", None) == "short"
    unlinked = fit_summary(summary, None)
    assert len(unlinked) <= MAX_SUMMARY_CHARS and "MAESTRO_PUBLIC_URL" in unlinked


def test_uncovered_changed_lines_become_annotations() -> None:
    results = verify(_policy(), _reports(), _facts(), COMPUTED)
    (note,) = result_annotations(results)
    assert note == {
        "path": "src/shop/pricing.py",
        "start_line": 21,
        "end_line": 21,
        "annotation_level": "warning",
        "title": "Changed lines not covered by tests",
        "message": "The coverage report shows no test running line 21, which this pull "
        "request adds or changes (Spec coverage).",
    }


def test_trouble_and_superseded_cards_are_neutral_and_say_why() -> None:
    trouble = Trouble(code="github_error", stage="reading_files", detail="HTTP 502 Bad Gateway")
    card = trouble_card(PR, trouble)
    title, summary = render_proof_card(card)
    assert card.conclusion is Conclusion.NEUTRAL
    assert title == "Maestro could not finish"
    assert (
        "**Maestro could not finish** while reading the changed files: GitHub answered with an "
        "error (HTTP 502 Bad Gateway)." in summary
    )
    assert "Press **Re-run**" in summary
    retrying = trouble_card(PR, trouble.model_copy(update={"retrying": True, "max_attempts": 6}))
    assert render_proof_card(retrying)[0] == "Maestro hit a problem and is retrying"
    assert "attempt 1 of 6 failed" in render_proof_card(retrying)[1]
    old = superseded_card("o/r", 7, HEAD, "abc1234" + "0" * 33)
    assert old.conclusion is Conclusion.NEUTRAL
    assert render_proof_card(old)[0] == "Superseded by abc1234"


def test_every_block_of_the_card_stands_apart_so_github_renders_it() -> None:
    """A list, a paragraph or a <details> glued to the line before would render as part of it."""
    computed = ComputedEvidence(
        measurements={
            **COMPUTED.measurements,
            "riskCap": Measurement(
                key="riskCap",
                value=0.9,
                source="blast radius on the code graph",
                facts=["billing: src/a.py → src/b.py"],
            ),
        }
    )
    results = verify(_policy(), Evidence(), _facts(), computed)
    _, summary = _summary(results)
    assert "**What blocks the merge**\n- " in summary
    risk = next(line for line in summary.splitlines() if line.startswith("- **Risk**"))
    assert risk.endswith("(billing: src/a.py → src/b.py)")
    for block in ("**Waiting for evidence:**", "<details>"):
        at = summary.index(block)
        assert summary[at - 2 : at] == "\n\n", block
