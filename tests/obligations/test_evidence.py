"""Report parsers on real tool output (tests/fixtures/obligations/README.md says which tool
made each file), and malformed reports giving problems that name the file and line."""

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.evidence.artifact import collect_evidence, evidence_document, parse_obligations_document
from checks.evidence.benchmark import benchmark_measurement, parse_pytest_benchmark, percentile
from checks.evidence.coverage import parse_cobertura, parse_lcov
from checks.evidence.diff import parse_unified_diff
from checks.evidence.mutation import parse_mutation_report
from checks.evidence.patch_coverage import line_ranges, patch_coverage
from checks.explain import problem_sentence

FIXTURES = Path(__file__).parents[1] / "fixtures" / "obligations"


def _read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_cobertura_from_coverage_py() -> None:
    report = parse_cobertura(_read("coverage.xml"), "coverage.xml")
    assert report.problems == []
    assert report.sources == ["/tmp/gen"]
    pricing = report.lookup("src/shop/pricing.py")
    assert pricing is not None
    assert len(pricing.lines) == 15
    assert [n for n, hits in sorted(pricing.lines.items()) if hits == 0] == [7, 13, 21]


def test_lcov_from_coverage_py_matches_cobertura() -> None:
    lcov = parse_lcov(_read("lcov.info"), "lcov.info")
    cob = parse_cobertura(_read("coverage.xml"), "coverage.xml")
    assert lcov.problems == []
    assert lcov.files["src/shop/pricing.py"].lines == cob.files["src/shop/pricing.py"].lines


def test_report_paths_match_repository_paths_by_suffix() -> None:
    xml = (
        b"<coverage><sources><source>/home/runner/work/r/r/src</source></sources><packages>"
        b'<package><classes><class filename="shop/pricing.py"><lines>'
        b'<line number="3" hits="2"/></lines></class>'
        b'<class filename="other/__init__.py"><lines/></class>'
        b'<class filename="shop/__init__.py"><lines/></class>'
        b"</classes></package></packages></coverage>"
    )
    report = parse_cobertura(xml, "c.xml")
    found = report.lookup("src/shop/pricing.py")
    assert found is not None and found.lines == {3: 2}
    assert report.lookup("__init__.py") is None  # ambiguous: never a guess
    assert report.lookup("src/elsewhere.py") is None


def test_diff_from_git() -> None:
    diff = parse_unified_diff(_read("pr.diff"), "pr.diff")
    assert diff.problems == []
    assert diff.files["src/shop/pricing.py"].added_lines == [5, 17, 18, 19, 20, 21, 22]
    assert diff.files["tests/test_pricing.py"].added_lines == [1, 19, 20, 21, 22]
    assert (diff.lines_added, diff.lines_removed) == (12, 2)


def test_diff_renames_deletions_and_header_lookalikes() -> None:
    text = (
        "diff --git a/old.py b/new.py\nsimilarity index 90%\nrename from old.py\n"
        "rename to new.py\n--- a/old.py\n+++ b/new.py\n@@ -1,2 +1,3 @@\n a\n--- not a header\n"
        "+++ not a header either\n+b\n"
        "diff --git a/gone.py b/gone.py\ndeleted file mode 100644\n--- a/gone.py\n+++ /dev/null\n"
        "@@ -1 +0,0 @@\n-x\n"
        "diff --git a/img.png b/img.png\nBinary files a/img.png and b/img.png differ\n"
    )
    diff = parse_unified_diff(text)
    assert diff.problems == []
    assert diff.files["new.py"].status == "renamed"
    assert diff.files["new.py"].added_lines == [2, 3]
    assert diff.files["new.py"].removed == 1
    assert diff.files["gone.py"].status == "deleted"
    assert diff.files["img.png"].status == "binary"


def test_patch_coverage_of_the_real_change() -> None:
    diff = parse_unified_diff(_read("pr.diff"))
    pc = patch_coverage(diff, parse_cobertura(_read("coverage.xml")))
    assert (pc.covered, pc.coverable) == (4, 5)
    assert pc.ratio == pytest.approx(0.8)
    assert pc.files[0].uncovered == [21]
    assert pc.unmeasured_files == ["tests/test_pricing.py"]
    assert line_ranges([3, 4, 5, 9]) == [(3, 5), (9, 9)]


def test_mutation_reports() -> None:
    stats = parse_mutation_report(_read("mutmut-cicd-stats.json"), "mutmut-cicd-stats.json")
    assert (stats.format, stats.detected, stats.undetected) == ("mutmut", 15, 30)
    assert stats.score == pytest.approx(1 / 3)
    junit = parse_mutation_report(_read("mutmut-junit.xml"), "mutmut-junit.xml")
    assert (junit.format, junit.detected, junit.undetected) == ("mutmut-junit", 11, 21)
    assert junit.survivors[0] == {"path": "shop/pricing.py", "line": 5}
    strict = parse_mutation_report(_read("stryker-strict-report.json"), "strict.json")
    assert (strict.format, strict.score) == ("stryker", 0.5)
    assert strict.survivors == [{"path": "test.js", "line": 2, "status": "Survived"}]
    csharp = parse_mutation_report(_read("stryker-csharp-sample.json"), "cs.json")
    assert (csharp.detected, csharp.undetected) == (8, 4)


def test_stryker_status_rules() -> None:
    doc = {
        "files": {
            "a.js": {
                "mutants": [
                    {"status": "Killed"},
                    {"status": "Timeout"},
                    {"status": "NoCoverage"},
                    {"status": "CompileError"},
                    {"status": "Ignored"},
                    {"status": "Exploded"},
                ]
            }
        }
    }
    report = parse_mutation_report(json.dumps(doc), "m.json")
    assert (report.detected, report.undetected, report.excluded) == (2, 1, 2)
    (problem,) = report.problems
    assert problem_sentence(problem) == (
        "m.json at /files/a.js/mutants/5/status: unknown mutant status (Exploded)"
    )


def test_benchmark_p95_from_data_and_from_stats() -> None:
    data = parse_pytest_benchmark(_read("pytest-benchmark-data.json"), "bench.json")
    assert data.problems == []
    raw = json.loads(_read("pytest-benchmark-data.json"))
    total = raw["benchmarks"][0]["stats"]["data"]
    by_name = {b.name: b for b in data.benchmarks}
    assert by_name["test_bench_total"].method == "data"
    assert by_name["test_bench_total"].p95_ms == pytest.approx(percentile(total, 95) * 1000)
    assert max(total) * 1000 >= by_name["test_bench_total"].p95_ms >= min(total) * 1000
    stats = parse_pytest_benchmark(_read("pytest-benchmark-stats-only.json"), "b.json")
    est = {b.name: b for b in stats.benchmarks}["test_bench_total"]
    s = json.loads(_read("pytest-benchmark-stats-only.json"))["benchmarks"][0]["stats"]
    assert est.method == "estimated"
    assert est.p95_ms == pytest.approx(
        min(s["max"], s["mean"] + 1.6448536269514722 * s["stddev"]) * 1000
    )
    measured = benchmark_measurement(data)
    assert measured is not None and measured.details["worst"] == "test_bench_total"


def test_percentile_matches_linear_interpolation() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 95) == pytest.approx(4.8)
    assert percentile([7.0], 95) == 7.0


@pytest.mark.parametrize(
    ("parse", "data", "expected"),
    [
        (
            parse_cobertura,
            b"<coverage>\n<packages>\n</coverage>",
            "c:3:3: malformed XML (mismatched tag)",
        ),
        (
            parse_cobertura,
            b"<html/>",
            "c:1:1: not a Cobertura coverage report (root element is <html>, expected <coverage>)",
        ),
        (
            parse_cobertura,
            b'<!DOCTYPE c [<!ENTITY x "y">]>\n<coverage/>',
            "c:1:25: XML entity declarations are not accepted"
            " (entity declarations are not allowed)",
        ),
        (
            parse_cobertura,
            b'<coverage>\n<packages><package><classes><class filename="a.py"><lines>\n'
            b'<line number="x" hits="1"/></lines></class></classes>'
            b"</package></packages></coverage>",
            "c:3:1: not a valid number (number='x' hits='1')",
        ),
        (
            parse_lcov,
            b"SF:a.py\nDA:1,1\nDA:two,1\nend_of_record\n",
            "c:3: not a valid number (DA:two,1)",
        ),
        (parse_lcov, b"DA:1,1\n", "c:1: a DA: line outside an SF: record (DA:1,1)"),
        (
            parse_pytest_benchmark,
            b'{"benchmarks": [\n{"stats": {\n"mean": 1,}}]}',
            "c:3:11: malformed JSON (Expecting property name enclosed in double quotes)",
        ),
        (
            parse_mutation_report,
            b'{"killed": 1, "survived": "3"}',
            "c at /survived: not a valid number ('3')",
        ),
    ],
)
def test_malformed_reports_name_file_and_line(parse, data: bytes, expected: str) -> None:  # type: ignore[no-untyped-def]
    report = parse(data, "c")
    assert [problem_sentence(p) for p in report.problems][:1] == [expected]


@given(st.binary(max_size=300))
@settings(max_examples=150, deadline=None)
def test_parsers_never_raise_on_arbitrary_bytes(data: bytes) -> None:
    for parse in (
        parse_cobertura,
        parse_lcov,
        parse_pytest_benchmark,
        parse_mutation_report,
        parse_unified_diff,
        parse_obligations_document,
    ):
        parse(data, "x")


@given(st.text(alphabet="@-+ \n0123456789,abdfgi/", max_size=300))
@settings(max_examples=200, deadline=None)
def test_diff_parser_never_raises_on_diff_like_text(text: str) -> None:
    parse_unified_diff("diff --git a/x b/x\n--- a/x\n+++ b/x\n" + text)


def test_collect_evidence_from_an_artifact() -> None:
    names = ["coverage.xml", "pr.diff", "mutmut-cicd-stats.json", "pytest-benchmark-data.json"]
    evidence = collect_evidence({n: _read(n) for n in names})
    assert evidence.problems == []
    assert evidence.measurements["specCoverage"].value == 0.8
    assert evidence.measurements["specCoverage"].annotations[0].start_line == 21
    assert evidence.measurements["mutationScore"].value == pytest.approx(0.3333)
    assert evidence.measurements["perfP95BudgetMs"].source.endswith("(pytest-benchmark)")
    doc = evidence_document(evidence)
    again = parse_obligations_document(json.dumps(doc), "evidence.json")
    assert again.problems == []
    assert {k: m.value for k, m in again.measurements.items()} == {
        k: m.value for k, m in evidence.measurements.items()
    }


def test_raw_reports_win_over_claimed_values_and_empty_stays_empty() -> None:
    claimed = json.dumps({"version": 1, "specCoverage": 0.99, "mutationScore": 0.9})
    evidence = collect_evidence(
        {
            "evidence.json": claimed.encode(),
            "coverage.xml": _read("coverage.xml"),
            "pr.diff": _read("pr.diff"),
        }
    )
    assert evidence.measurements["specCoverage"].value == 0.8
    assert evidence.measurements["specCoverage"].details["claimed_in_document"] == 0.99
    assert evidence.measurements["mutationScore"].value == 0.9
    docs_only = (
        "diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n"
        "@@ -1 +1 @@\n-a\n+b\n"
    )
    empty = collect_evidence({"coverage.xml": _read("coverage.xml"), "x.diff": docs_only.encode()})
    assert "specCoverage" not in empty.measurements
    assert empty.empty == {"specCoverage": "no_coverable_lines"}


def test_obligations_document_problems() -> None:
    evidence = parse_obligations_document(
        b'{"version": 1, "specCoverage": "0.9", "mutationScore": 0.8, "speed": 1}', "e.json"
    )
    assert sorted(p.code for p in evidence.problems) == [
        "schema_unknown_obligation",
        "schema_wrong_type",
    ]
    assert list(evidence.measurements) == ["mutationScore"]
    bad = parse_obligations_document(b'{\n  "specCoverage": 0.9,\n}', "e.json")
    assert problem_sentence(bad.problems[0]).startswith("e.json:3:1: malformed JSON")
