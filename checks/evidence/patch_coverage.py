"""Patch coverage: of the lines a change added that the coverage report can measure, how many ran.

specCoverage = covered changed lines / coverable changed lines, where "coverable" means the
report lists the line (comments, blank lines and files the report never saw do not count).
No coverable changed line gives no ratio at all: empty evidence is never a pass.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from checks.evidence.coverage import CoverageReport
from checks.evidence.diff import DiffResult
from checks.evidence.model import Annotation, Measurement

KEY = "specCoverage"


class FilePatchCoverage(BaseModel):
    path: str
    covered: list[int] = Field(default_factory=list)
    uncovered: list[int] = Field(default_factory=list)


class PatchCoverage(BaseModel):
    covered: int = 0
    coverable: int = 0
    files: list[FilePatchCoverage] = Field(default_factory=list)
    unmeasured_files: list[str] = Field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        return self.covered / self.coverable if self.coverable else None


def patch_coverage(diff: DiffResult, report: CoverageReport) -> PatchCoverage:
    """Covered / coverable added lines, file by file."""
    result = PatchCoverage()
    for path in sorted(diff.files):
        fdiff = diff.files[path]
        if fdiff.status in ("deleted", "binary") or not fdiff.added_lines:
            continue
        cov = report.lookup(path)
        if cov is None:
            result.unmeasured_files.append(path)
            continue
        entry = FilePatchCoverage(path=path)
        for line in fdiff.added_lines:
            hits = cov.lines.get(line)
            if hits is None:
                continue
            (entry.covered if hits > 0 else entry.uncovered).append(line)
        if entry.covered or entry.uncovered:
            result.files.append(entry)
            result.covered += len(entry.covered)
            result.coverable += len(entry.covered) + len(entry.uncovered)
    return result


def line_ranges(lines: list[int]) -> list[tuple[int, int]]:
    """[3, 4, 5, 9] -> [(3, 5), (9, 9)]."""
    ranges: list[tuple[int, int]] = []
    for line in sorted(lines):
        if ranges and line == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], line)
        else:
            ranges.append((line, line))
    return ranges


def coverage_measurement(pc: PatchCoverage, source: str) -> Measurement | None:
    """The specCoverage measurement, with an annotation per uncovered run of lines."""
    ratio = pc.ratio
    if ratio is None:
        return None
    annotations = [
        Annotation(path=f.path, start_line=a, end_line=b, code="uncovered_lines", obligation=KEY)
        for f in pc.files
        for a, b in line_ranges(f.uncovered)
    ]
    return Measurement(
        key=KEY,
        value=round(ratio, 4),
        source=source,
        details={
            "covered_lines": pc.covered,
            "coverable_lines": pc.coverable,
            "unmeasured_files": pc.unmeasured_files,
        },
        annotations=annotations,
    )
