"""The `maestro-evidence` obligations JSON (docs/evidence.md), and collecting evidence from the
files of an uploaded artifact: each file is recognised by its content (Cobertura, LCOV, Stryker,
mutmut, pytest-benchmark, obligations JSON, unified diff) and parsed; values computed from raw
reports take precedence over values claimed in an obligations JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from checks.evidence.benchmark import benchmark_measurement, parse_pytest_benchmark
from checks.evidence.coverage import CoverageReport, parse_cobertura, parse_lcov
from checks.evidence.diff import DiffResult, parse_unified_diff
from checks.evidence.model import Evidence, EvidenceProblem, Measurement, as_text, too_large
from checks.evidence.mutation import (
    MutationReport,
    mutation_measurement,
    parse_mutation_report,
)
from checks.evidence.patch_coverage import coverage_measurement, patch_coverage
from checks.obligations.catalog import THRESHOLD_KEYS
from checks.obligations.schema import obligation_schema, validate_obligations

FORMAT_VERSION = 1


def parse_obligations_document(data: bytes | str, name: str) -> Evidence:
    """An obligations JSON: structural validation (types, sane ranges), never the gate itself."""
    evidence = Evidence()
    big = too_large(data, name, None)
    if big:
        evidence.problems.append(big)
        return evidence
    try:
        doc = json.loads(as_text(data))
    except json.JSONDecodeError as exc:
        evidence.problems.append(
            EvidenceProblem(
                file=name, line=exc.lineno, column=exc.colno, code="json_malformed", detail=exc.msg
            )
        )
        return evidence
    problems = validate_obligations(doc, obligation_schema(None, require_all=False))
    bad_keys = {p.key for p in problems}
    for p in problems:
        evidence.problems.append(
            EvidenceProblem(
                file=name,
                pointer=p.pointer,
                code=f"schema_{p.reason}",
                detail=p.detail,
                obligation=p.key if p.key in THRESHOLD_KEYS else None,
            )
        )
    if not isinstance(doc, dict):
        return evidence
    sources = doc.get("sources") if isinstance(doc.get("sources"), dict) else {}
    details = doc.get("details") if isinstance(doc.get("details"), dict) else {}
    for key in THRESHOLD_KEYS:
        if key in doc and key not in bad_keys:
            claimed = sources.get(key) if isinstance(sources, dict) else None
            source = f"{name}: {claimed}" if claimed else f"{name} (obligations JSON)"
            detail = details.get(key) if isinstance(details, dict) else None
            evidence.measurements[key] = Measurement(
                key=key,
                value=doc[key],
                source=source,
                details=detail if isinstance(detail, dict) else {},
            )
    if "invariants" not in bad_keys and isinstance(doc.get("invariants"), list):
        evidence.invariants = [str(x) for x in doc["invariants"]]
    if "cepGuards" not in bad_keys and isinstance(doc.get("cepGuards"), list):
        evidence.cep_guards = [str(x) for x in doc["cepGuards"]]
    if isinstance(doc.get("commit"), str) and "commit" not in bad_keys:
        evidence.commit = doc["commit"]
    return evidence


def evidence_document(evidence: Evidence, generator: str = "maestro evidence") -> dict[str, Any]:
    """The obligations JSON for `evidence` (what `maestro evidence -o` writes)."""
    doc: dict[str, Any] = {"version": FORMAT_VERSION, "generator": generator}
    if evidence.commit:
        doc["commit"] = evidence.commit
    for key in THRESHOLD_KEYS:
        if key in evidence.measurements:
            doc[key] = evidence.measurements[key].value
    if evidence.invariants:
        doc["invariants"] = evidence.invariants
    if evidence.cep_guards:
        doc["cepGuards"] = evidence.cep_guards
    doc["sources"] = {k: m.source for k, m in evidence.measurements.items()}
    doc["details"] = {k: m.details for k, m in evidence.measurements.items() if m.details}
    return doc


def _kind(name: str, data: bytes) -> str:
    lower = name.lower()
    head = as_text(data[:4096]).lstrip("\ufeff \t\r\n")
    if lower.endswith((".diff", ".patch")) or head.startswith(("diff --git", "--- ")):
        return "diff"
    if head.startswith("<"):
        if "<coverage" in head:
            return "cobertura"
        if "<testsuite" in head:
            return "mutmut-junit"
        return "unknown"
    if head.startswith(("TN:", "SF:")) or lower.endswith((".lcov", "lcov.info")):
        return "lcov"
    if head.startswith("{"):
        try:
            doc = json.loads(as_text(data))
        except json.JSONDecodeError:
            return "json"
        if isinstance(doc, dict):
            if "benchmarks" in doc:
                return "pytest-benchmark"
            if "files" in doc or ("killed" in doc and "survived" in doc):
                return "mutation"
            return "obligations"
        return "json"
    return "unknown"


def _merge_coverage(reports: list[CoverageReport]) -> CoverageReport:
    merged = CoverageReport(
        format="+".join(sorted({r.format for r in reports})),
        name=", ".join(r.name for r in reports),
    )
    for report in reports:
        merged.sources.extend(report.sources)
        for path, cov in report.files.items():
            target = merged.files.setdefault(path, cov.model_copy(update={"lines": {}}))
            for line, hits in cov.lines.items():
                target.add(line, hits)
    return merged


def collect_evidence(
    files: Mapping[str, bytes], diff: DiffResult | None = None, diff_source: str = "the diff"
) -> Evidence:
    """Evidence from an artifact's files (name -> bytes) and the pull request's diff."""
    evidence = Evidence()
    coverage: list[CoverageReport] = []
    mutations: list[MutationReport] = []
    claimed = Evidence()
    for name in sorted(files):
        data = files[name]
        kind = _kind(name, data)
        if kind == "diff" and diff is None:
            diff = parse_unified_diff(data, name)
            diff_source = name
            evidence.problems.extend(diff.problems)
        elif kind == "cobertura":
            coverage.append(parse_cobertura(data, name))
        elif kind == "lcov":
            coverage.append(parse_lcov(data, name))
        elif kind in ("mutation", "mutmut-junit"):
            mutations.append(parse_mutation_report(data, name))
        elif kind == "pytest-benchmark":
            bench = parse_pytest_benchmark(data, name)
            evidence.problems.extend(bench.problems)
            found = benchmark_measurement(bench)
            previous = evidence.measurements.get("perfP95BudgetMs")
            if found and (previous is None or found.value > previous.value):
                evidence.measurements["perfP95BudgetMs"] = found
        elif kind in ("obligations", "json"):
            doc = parse_obligations_document(data, name)
            claimed.measurements.update(doc.measurements)
            claimed.problems.extend(doc.problems)
            claimed.invariants += doc.invariants
            claimed.cep_guards += doc.cep_guards
            claimed.commit = doc.commit or claimed.commit
        elif kind != "diff":
            evidence.problems.append(
                EvidenceProblem(file=name, code="unknown_report_format", detail=kind)
            )
    for report in coverage:
        evidence.problems.extend(report.problems)
    if coverage:
        add_coverage(evidence, _merge_coverage(coverage), diff, diff_source)
    if mutations:
        add_mutation(evidence, mutations)
    for key, measurement in claimed.measurements.items():
        if key in evidence.measurements:
            evidence.measurements[key].details["claimed_in_document"] = measurement.value
        elif key not in evidence.empty:
            evidence.measurements[key] = measurement
    evidence.problems.extend(claimed.problems)
    evidence.invariants = sorted(set(claimed.invariants))
    evidence.cep_guards = sorted(set(claimed.cep_guards))
    evidence.commit = claimed.commit
    return evidence


def add_coverage(
    evidence: Evidence, report: CoverageReport, diff: DiffResult | None, diff_source: str
) -> None:
    """specCoverage from a coverage report and the diff (or why there is none)."""
    if diff is None:
        evidence.empty["specCoverage"] = "no_diff"
        return
    pc = patch_coverage(diff, report)
    found = coverage_measurement(pc, f"{report.name} ({report.format}) × {diff_source}")
    if found is None:
        evidence.empty["specCoverage"] = "no_coverable_lines"
    else:
        evidence.measurements["specCoverage"] = found


def add_mutation(evidence: Evidence, reports: list[MutationReport]) -> None:
    total = MutationReport(
        format="+".join(sorted({r.format for r in reports})),
        name=", ".join(r.name for r in reports),
    )
    for r in reports:
        total.detected += r.detected
        total.undetected += r.undetected
        total.excluded += r.excluded
        evidence.problems.extend(r.problems)
    found = mutation_measurement(total)
    if found is None:
        if not any(r.problems for r in reports):
            evidence.empty["mutationScore"] = "no_valid_mutants"
    else:
        evidence.measurements["mutationScore"] = found
