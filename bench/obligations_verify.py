"""Obligations engine benchmark: evidence parsing, patch coverage and the whole verifier.

1. Cobertura parsing of a synthetic 2,000-file / 200,000-line report (MB/s), against a baseline
   measured in the same run: `xml.etree.ElementTree.fromstring` of the same bytes (a parse that
   keeps no line numbers and extracts nothing), so the ratio is the cost of streaming with
   positions and building per-file maps.
2. Patch coverage of a 500-file diff against that report (ms).
3. Rules: parsing a rule (cold, cache cleared) vs evaluating it over a 2,000-file PR (µs).
4. `verify` end to end with 5 invariants and 2 guards (ms per call, median of 20).

Run: .venv/bin/python bench/obligations_verify.py  (a few seconds)
"""

from __future__ import annotations

import statistics
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from checks.evidence.artifact import add_coverage
from checks.evidence.coverage import parse_cobertura
from checks.evidence.diff import parse_unified_diff
from checks.evidence.model import Evidence, Measurement
from checks.evidence.patch_coverage import patch_coverage
from checks.obligations.verify import ComputedEvidence, verify
from checks.policy.model import Policy
from checks.policy.parse import parse_policy
from checks.rules.evaluate import evaluate
from checks.rules.facts import Approval, PullRequestFacts
from checks.rules.parser import parse_rule

FILES, LINES = 2000, 100


def _report() -> bytes:
    parts = [
        '<?xml version="1.0" ?>\n<coverage version="7"><sources><source>/w/r</source>'
        '</sources><packages><package name="p"><classes>'
    ]
    for f in range(FILES):
        parts.append(f'<class name="m{f}.py" filename="src/pkg{f % 50}/m{f}.py"><methods/><lines>')
        parts.extend(f'<line number="{n}" hits="{(n * f) % 3}"/>' for n in range(1, LINES + 1))
        parts.append("</lines></class>")
    parts.append("</classes></package></packages></coverage>")
    return "\n".join(parts).encode()


def _diff(files: int) -> str:
    out = []
    for f in range(files):
        path = f"src/pkg{f % 50}/m{f}.py"
        out.append(
            f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -10,2 +10,12 @@\n"
        )
        out.append(" x\n" + "".join(f"+y{i}\n" for i in range(10)) + " z\n")
    return "".join(out)


def _time(fn, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    data = _report()
    mb = len(data) / 1e6
    ours = _time(lambda: parse_cobertura(data, "c.xml"))
    base = _time(lambda: ET.fromstring(data))
    print(
        f"cobertura: {mb:.1f} MB, {FILES * LINES} lines: {mb / ours:.1f} MB/s "
        f"(ElementTree baseline {mb / base:.1f} MB/s, ratio ours/baseline {ours / base:.2f}x)"
    )

    report = parse_cobertura(data, "c.xml")
    diff = parse_unified_diff(_diff(500))
    pc_time = _time(lambda: patch_coverage(diff, report))
    pc = patch_coverage(diff, report)
    print(f"patch coverage, 500 files: {pc_time * 1000:.1f} ms ({pc.covered}/{pc.coverable})")

    text = 'changed("migrations/**") => approved_by_team("@org/dba") && lines_changed() < 400'
    facts = PullRequestFacts(
        changed_files=[f"src/pkg{f % 50}/m{f}.py" for f in range(2000)] + ["migrations/1.sql"],
        approvals=[Approval(user="dana", teams=["org/dba"])],
        lines_added=120,
    )

    def cold() -> None:
        parse_rule.cache_clear()
        parse_rule(text)

    parse_us = _time(cold, 50) * 1e6
    expr = parse_rule(text)
    eval_us = _time(lambda: evaluate(expr, facts), 50) * 1e6
    print(
        f"rule: parse {parse_us:.0f} µs (once per policy), evaluate over 2,001 files "
        f"{eval_us:.0f} µs (ratio evaluate/parse {eval_us / parse_us:.1f}x)"
    )

    policy = parse_policy(
        "invariants:\n"
        + "".join(f'  i{i}: changed("src/pkg{i}/**") => approvals() >= 1\n' for i in range(5))
        + "cep_guards:\n  g: '!pushed_after_approval()'\n"
        + '  r: max_same_path("revert", 24h) < 2\n'
    )
    assert isinstance(policy, Policy)
    evidence = Evidence()
    add_coverage(evidence, report, diff, "bench")
    evidence.measurements["mutationScore"] = Measurement(key="mutationScore", value=0.8, source="b")
    computed = ComputedEvidence.of(riskCap=(0.2, "b"), sbomCriticals=(0, "b"))
    verify_ms = _time(lambda: verify(policy, evidence, facts, computed), 20) * 1000
    print(f"verify: {verify_ms:.2f} ms per pull request (2,001 changed files, 7 rules)")


if __name__ == "__main__":
    main()
