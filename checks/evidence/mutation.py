"""Mutation score from mutmut (3.x `export-cicd-stats` JSON, 2.x `junitxml`) and Stryker's
mutation-testing-report-schema JSON (StrykerJS, Stryker.NET, stryker4s, Infection …).

Score = detected / valid, as mutation-testing-elements computes it: detected = killed + timeout,
valid = detected + survived + no coverage. Compile/runtime errors, ignored and pending mutants
are not valid. mutmut's "suspicious", "skipped" and interrupted mutants are likewise left out;
a segfault under the tests counts as detected. No valid mutant gives no score (never a pass).
"""

from __future__ import annotations

import json
from typing import Any
from xml.parsers import expat

from pydantic import BaseModel, Field

from checks.evidence.model import EvidenceProblem, Measurement, as_text, too_large

KEY = "mutationScore"

_STRYKER_DETECTED = {"Killed", "Timeout"}
_STRYKER_UNDETECTED = {"Survived", "NoCoverage"}
_STRYKER_INVALID = {"CompileError", "RuntimeError", "Ignored", "Pending"}


class MutationReport(BaseModel):
    format: str
    name: str
    detected: int = 0
    undetected: int = 0
    excluded: int = 0
    survivors: list[dict[str, Any]] = Field(default_factory=list)
    problems: list[EvidenceProblem] = Field(default_factory=list)

    @property
    def valid(self) -> int:
        return self.detected + self.undetected

    @property
    def score(self) -> float | None:
        return self.detected / self.valid if self.valid else None


def _problem(name: str, code: str, detail: str, **where: Any) -> EvidenceProblem:
    return EvidenceProblem(file=name, code=code, detail=detail, obligation=KEY, **where)


def _load_json(data: bytes | str, name: str, report: MutationReport) -> Any:
    try:
        return json.loads(as_text(data))
    except json.JSONDecodeError as exc:
        report.problems.append(
            _problem(name, "json_malformed", exc.msg, line=exc.lineno, column=exc.colno)
        )
        return None


def parse_stryker(doc: dict[str, Any], name: str) -> MutationReport:
    """A parsed mutation-testing-report-schema document."""
    report = MutationReport(format="stryker", name=name)
    files = doc.get("files")
    if not isinstance(files, dict):
        report.problems.append(_problem(name, "missing_field", "files", pointer="/files"))
        return report
    for path, entry in files.items():
        mutants = entry.get("mutants") if isinstance(entry, dict) else None
        if not isinstance(mutants, list):
            report.problems.append(
                _problem(name, "missing_field", "mutants", pointer=f"/files/{path}/mutants")
            )
            continue
        for i, mutant in enumerate(mutants):
            status = mutant.get("status") if isinstance(mutant, dict) else None
            if status in _STRYKER_DETECTED:
                report.detected += 1
            elif status in _STRYKER_UNDETECTED:
                report.undetected += 1
                line = _stryker_line(mutant)
                report.survivors.append({"path": path, "line": line, "status": status})
            elif status in _STRYKER_INVALID:
                report.excluded += 1
            else:
                report.problems.append(
                    _problem(
                        name,
                        "unknown_status",
                        str(status),
                        pointer=f"/files/{path}/mutants/{i}/status",
                    )
                )
    return report


def _stryker_line(mutant: dict[str, Any]) -> int | None:
    try:
        line = mutant["location"]["start"]["line"]
    except (KeyError, TypeError):
        return None
    return line if isinstance(line, int) else None


_MUTMUT_COUNTS = ("killed", "survived", "total", "no_tests", "timeout")


def parse_mutmut_stats(doc: dict[str, Any], name: str) -> MutationReport:
    """mutmut 3's `mutants/mutmut-cicd-stats.json`."""
    report = MutationReport(format="mutmut", name=name)
    counts: dict[str, int] = {}
    for field in (*_MUTMUT_COUNTS, "segfault", "suspicious", "skipped"):
        value = doc.get(field, 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            report.problems.append(_problem(name, "bad_number", repr(value), pointer=f"/{field}"))
            return report
        counts[field] = value
    report.detected = counts["killed"] + counts["timeout"] + counts["segfault"]
    report.undetected = counts["survived"] + counts["no_tests"]
    report.excluded = counts["total"] - report.detected - report.undetected
    return report


def parse_mutmut_junit(data: bytes | str, name: str) -> MutationReport:
    """mutmut 2's `mutmut junitxml`: a passing testcase is a killed mutant, a <failure> a
    survivor, <skipped>/<error> are left out (per its --suspicious/--untested policies)."""
    report = MutationReport(format="mutmut-junit", name=name)
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    case: dict[str, Any] = {}

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == "testcase":
            case.clear()
            case.update(attrs)
            case["_outcome"] = "killed"
        elif tag in ("failure", "skipped", "error") and case:
            case["_outcome"] = tag

    def end(tag: str) -> None:
        if tag != "testcase" or not case:
            return
        outcome = case["_outcome"]
        if outcome == "killed":
            report.detected += 1
        elif outcome == "failure":
            report.undetected += 1
            line = case.get("line", "")
            report.survivors.append(
                {"path": case.get("file"), "line": int(line) if line.isdigit() else None}
            )
        else:
            report.excluded += 1
        case.clear()

    def entity(*_args: object) -> None:
        raise ValueError("entity declarations are not allowed")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.EntityDeclHandler = entity
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        report.problems.append(
            _problem(
                name,
                "xml_malformed",
                expat.errors.messages[exc.code] if exc.code else str(exc),
                line=exc.lineno,
                column=exc.offset + 1,
            )
        )
    except ValueError as exc:
        report.problems.append(
            _problem(name, "xml_entities_forbidden", str(exc), line=parser.CurrentLineNumber)
        )
    return report


def parse_mutation_report(data: bytes | str, name: str) -> MutationReport:
    """Detect the format (Stryker JSON, mutmut stats JSON or mutmut JUnit XML) and parse it."""
    big = too_large(data, name, KEY)
    if big:
        return MutationReport(format="unknown", name=name, problems=[big])
    head = as_text(data[:256]).lstrip()
    if head.startswith("<"):
        return parse_mutmut_junit(data, name)
    report = MutationReport(format="unknown", name=name)
    doc = _load_json(data, name, report)
    if doc is None:
        return report
    if isinstance(doc, dict) and "files" in doc:
        return parse_stryker(doc, name)
    if isinstance(doc, dict) and "killed" in doc and "survived" in doc:
        return parse_mutmut_stats(doc, name)
    report.problems.append(
        _problem(name, "unknown_report_format", "expected Stryker or mutmut JSON")
    )
    return report


def mutation_measurement(report: MutationReport) -> Measurement | None:
    score = report.score
    if score is None:
        return None
    return Measurement(
        key=KEY,
        value=round(score, 4),
        source=f"{report.name} ({report.format})",
        details={
            "detected": report.detected,
            "undetected": report.undetected,
            "excluded": report.excluded,
        },
    )
