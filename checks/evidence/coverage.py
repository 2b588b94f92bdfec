"""Per-file line coverage from Cobertura XML (coverage.py's `coverage xml`, JaCoCo converters …)
and LCOV (`coverage lcov`, c8, gcov's lcov, Istanbul …).

Both parsers return a `CoverageReport`; malformed input gives `EvidenceProblem`s naming the file
and line, never an exception. Cobertura is read with expat directly so every element's line is
known, and entity declarations are refused (no billion laughs, no external entities).
"""

from __future__ import annotations

import posixpath
from xml.parsers import expat

from pydantic import BaseModel, Field, PrivateAttr

from checks.evidence.model import EvidenceProblem, as_text, too_large

KEY = "specCoverage"


class FileCoverage(BaseModel):
    """Line number -> hit count for one source file."""

    path: str
    lines: dict[int, int] = Field(default_factory=dict)

    def add(self, line: int, hits: int) -> None:
        self.lines[line] = self.lines.get(line, 0) + hits


class CoverageReport(BaseModel):
    """Line coverage of every file a report mentions, keyed by the report's own path."""

    format: str
    name: str
    sources: list[str] = Field(default_factory=list)
    files: dict[str, FileCoverage] = Field(default_factory=dict)
    problems: list[EvidenceProblem] = Field(default_factory=list)

    _suffixes: dict[str, set[str]] | None = PrivateAttr(default=None)
    _exact: dict[str, set[str]] | None = PrivateAttr(default=None)

    def _candidates(self, path: str) -> list[str]:
        cands = [_norm(path)]
        cands += [_norm(posixpath.join(_norm(src), _norm(path))) for src in self.sources]
        return cands

    def _index(self) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        # Built on first lookup (reports are complete by then): every candidate path of every
        # report file, and every '/'-boundary suffix of it, mapped to the report keys.
        if self._suffixes is None or self._exact is None:
            suffixes: dict[str, set[str]] = {}
            exact: dict[str, set[str]] = {}
            for key in self.files:
                for cand in self._candidates(key):
                    exact.setdefault(cand, set()).add(key)
                    parts = cand.split("/")
                    for i in range(len(parts)):
                        suffixes.setdefault("/".join(parts[i:]), set()).add(key)
            self._suffixes, self._exact = suffixes, exact
        return self._suffixes, self._exact

    def lookup(self, repo_path: str) -> FileCoverage | None:
        """The coverage of a repository-relative path.

        Report paths are often absolute (the CI workspace) or relative to a source root, so a
        report path matches when one ends with the other at a `/` boundary; an ambiguous match
        (two report files) counts as no match rather than a guess.
        """
        want = _norm(repo_path).lstrip("/")
        if not want:
            return None
        suffixes, exact = self._index()
        hits = suffixes.get(want, set())
        if not hits:
            # the report path may be the shorter one: src/a/b.py in the repo, a/b.py reported
            parts = want.split("/")
            for i in range(1, len(parts)):
                hits = exact.get("/".join(parts[i:]), set())
                if hits:
                    break
        if len(hits) == 1:
            return self.files[next(iter(hits))]
        same = [k for k in hits if _norm(k) == want]
        return self.files[same[0]] if len(same) == 1 else None


def _norm(path: str) -> str:
    path = path.replace("\\", "/").strip()
    while path.startswith("./"):
        path = path[2:]
    return path


class _Reject(Exception):
    """Raised from expat callbacks to stop parsing a document Maestro refuses."""

    def __init__(self, code: str, detail: str, line: int, column: int) -> None:
        super().__init__(detail)
        self.code, self.line, self.column = code, line, column


def parse_cobertura(data: bytes | str, name: str = "coverage.xml") -> CoverageReport:
    """Parse a Cobertura XML report (coverage-04.dtd)."""
    report = CoverageReport(format="cobertura", name=name)
    big = too_large(data, name, KEY)
    if big:
        report.problems.append(big)
        return report
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[str] = []
    text: list[str] = []
    current: list[FileCoverage | None] = [None]

    def problem(code: str, detail: str) -> None:
        report.problems.append(
            EvidenceProblem(
                file=name,
                line=parser.CurrentLineNumber,
                column=parser.CurrentColumnNumber + 1,
                code=code,
                detail=detail,
                obligation=KEY,
            )
        )

    def start(tag: str, attrs: dict[str, str]) -> None:
        if not stack and tag != "coverage":
            raise _Reject(
                "not_cobertura",
                f"root element is <{tag}>, expected <coverage>",
                parser.CurrentLineNumber,
                parser.CurrentColumnNumber + 1,
            )
        stack.append(tag)
        if tag == "source":
            text.clear()
        elif tag == "class":
            filename = attrs.get("filename")
            if not filename:
                problem("missing_attribute", "<class> without filename")
                current[0] = None
                return
            current[0] = report.files.setdefault(filename, FileCoverage(path=filename))
        elif tag == "line" and "method" not in stack and current[0] is not None:
            # <method> elements repeat their class's lines; count each line once.
            try:
                number = int(attrs["number"])
                hits = int(attrs["hits"])
            except KeyError as exc:
                problem("missing_attribute", f"<line> without {exc.args[0]}")
                return
            except ValueError:
                problem("bad_number", f"number={attrs.get('number')!r} hits={attrs.get('hits')!r}")
                return
            if number < 1 or hits < 0:
                problem("bad_number", f"number={number} hits={hits}")
                return
            current[0].add(number, hits)

    def end(tag: str) -> None:
        stack.pop()
        if tag == "source":
            src = "".join(text).strip()
            if src:
                report.sources.append(src)
        elif tag == "class":
            current[0] = None

    def chars(data: str) -> None:
        if stack and stack[-1] == "source":
            text.append(data)

    def entity(*_args: object) -> None:
        raise _Reject(
            "xml_entities_forbidden",
            "entity declarations are not allowed",
            parser.CurrentLineNumber,
            parser.CurrentColumnNumber + 1,
        )

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.EntityDeclHandler = entity
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        report.problems.append(
            EvidenceProblem(
                file=name,
                line=exc.lineno,
                column=exc.offset + 1,
                code="xml_malformed",
                detail=expat.errors.messages[exc.code] if exc.code else str(exc),
                obligation=KEY,
            )
        )
    except _Reject as exc:
        report.problems.append(
            EvidenceProblem(
                file=name,
                line=exc.line,
                column=exc.column,
                code=exc.code,
                detail=str(exc),
                obligation=KEY,
            )
        )
    return report


def parse_lcov(data: bytes | str, name: str = "lcov.info") -> CoverageReport:
    """Parse an LCOV tracefile (SF/DA/end_of_record; other records are ignored)."""
    report = CoverageReport(format="lcov", name=name)
    big = too_large(data, name, KEY)
    if big:
        report.problems.append(big)
        return report
    current: FileCoverage | None = None
    seen_record = False
    for lineno, raw in enumerate(as_text(data).splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        tag, sep, value = line.partition(":")
        if tag == "end_of_record":
            current = None
            continue
        if not sep:
            report.problems.append(_lcov_problem(name, lineno, "lcov_malformed", line[:80]))
            continue
        if tag == "SF":
            seen_record = True
            current = report.files.setdefault(value, FileCoverage(path=value))
        elif tag == "DA":
            if current is None:
                report.problems.append(_lcov_problem(name, lineno, "lcov_outside_record", line))
                continue
            parts = value.split(",")
            try:
                number, hits = int(parts[0]), int(parts[1])
            except (ValueError, IndexError):
                report.problems.append(_lcov_problem(name, lineno, "bad_number", line[:80]))
                continue
            if number < 1:
                report.problems.append(_lcov_problem(name, lineno, "bad_number", line[:80]))
                continue
            # gcov can report negative counts after overflow; treat them as executed
            current.add(number, abs(hits))
    if not seen_record and not report.problems:
        report.problems.append(_lcov_problem(name, None, "lcov_empty", "no SF: record"))
    return report


def _lcov_problem(name: str, line: int | None, code: str, detail: str) -> EvidenceProblem:
    return EvidenceProblem(file=name, line=line, code=code, detail=detail, obligation=KEY)


def parse_coverage(data: bytes | str, name: str) -> CoverageReport:
    """Cobertura when the content looks like XML, LCOV otherwise."""
    head = as_text(data[:512]).lstrip()
    if head.startswith("<"):
        return parse_cobertura(data, name)
    return parse_lcov(data, name)
