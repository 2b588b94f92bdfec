"""Evidence as data: measurements with their source, and problems found in uploaded reports.

A `Measurement` is one obligation's actual value plus where it came from. An `EvidenceProblem`
names the file (and line when known) of a malformed report; `checks/explain.py` phrases it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

# Reports bigger than this are refused rather than parsed (CI output, but still untrusted size).
MAX_REPORT_BYTES = 50 * 1024 * 1024


class EvidenceProblem(BaseModel):
    """A report Maestro could not use, and where it went wrong."""

    file: str
    line: int | None = None
    column: int | None = None
    pointer: str = Field(default="", description="JSON pointer or XML element, when no line")
    code: str = Field(description="problem code, phrased by checks.explain")
    detail: str = Field(default="", description="the parser's own message, verbatim")
    obligation: str | None = Field(default=None, description="obligation the report was for")


class Annotation(BaseModel):
    """A line range the Proof Card should annotate (the lead batches these, 50 per request)."""

    path: str
    start_line: int
    end_line: int
    level: str = "warning"
    code: str = Field(description="annotation code, e.g. uncovered_lines")
    obligation: str = ""


class Measurement(BaseModel):
    """One obligation's measured value and its evidence source."""

    key: str
    value: float | int
    source: str
    details: dict[str, Any] = Field(default_factory=dict)
    annotations: list[Annotation] = Field(default_factory=list)
    facts: list[str] = Field(
        default_factory=list, description="evidence items the obligation row shows (reason paths)"
    )


class Evidence(BaseModel):
    """Everything measured for one head SHA, from uploaded reports or an obligations JSON."""

    measurements: dict[str, Measurement] = Field(default_factory=dict)
    problems: list[EvidenceProblem] = Field(default_factory=list)
    # obligation key -> reason code for an empty measurement ("no_coverable_lines", …)
    empty: dict[str, str] = Field(default_factory=dict)
    invariants: list[str] = Field(default_factory=list)
    cep_guards: list[str] = Field(default_factory=list)
    commit: str | None = None

    def problems_for(self, key: str) -> list[EvidenceProblem]:
        return [p for p in self.problems if p.obligation == key]


def too_large(data: bytes | str, name: str, obligation: str | None) -> EvidenceProblem | None:
    """A problem when `data` exceeds MAX_REPORT_BYTES, else None."""
    size = len(data.encode() if isinstance(data, str) else data)
    if size <= MAX_REPORT_BYTES:
        return None
    return EvidenceProblem(
        file=name, code="report_too_large", detail=f"{size} bytes", obligation=obligation
    )


def as_text(data: bytes | str) -> str:
    """Decode report bytes as UTF-8, replacing undecodable bytes (reports are mostly ASCII)."""
    return data if isinstance(data, str) else data.decode("utf-8", errors="replace")
