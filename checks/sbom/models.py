"""Data models of the SBOM engine: components, parse problems, deltas, advisories and findings.

Everything here is plain data (pydantic); the logic lives in the sibling modules and the
templates turn these into prose.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from checks.sbom.ecosystems import normalise_name


class Component(BaseModel):
    """One resolved dependency as read from a lockfile, manifest or SBOM document."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(description="package name as the ecosystem spells it (Maven: group:artifact)")
    version: str
    ecosystem: str = Field(
        description="OSV ecosystem name (PyPI, npm, Go, crates.io …); '' if unknown"
    )
    purl: str | None = None
    direct: bool | None = Field(
        default=None, description="True direct, False transitive, None unknown"
    )
    dev: bool | None = Field(default=None, description="only needed for development, when known")
    licence: str | None = None
    file: str = ""
    line: int | None = Field(default=None, description="1-based line of the entry in `file`")

    @property
    def key(self) -> tuple[str, str]:
        """Identity used for deltas and advisory look-ups: (ecosystem, normalised name)."""
        return (self.ecosystem, normalise_name(self.ecosystem, self.name))


class ParseProblem(BaseModel):
    """A file (or part of one) that could not be read. Never raised; returned next to components."""

    file: str
    line: int | None = None
    message: str
    format: str = ""
    side: str = Field(
        default="", description="'base' when met in the base version of a diffed file"
    )


class ParseResult(BaseModel):
    """Components of one manifest plus whatever could not be parsed in it."""

    file: str
    format: str
    components: list[Component] = Field(default_factory=list)
    problems: list[ParseProblem] = Field(default_factory=list)


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    UPGRADED = "upgraded"
    DOWNGRADED = "downgraded"


class VersionChange(BaseModel):
    """A package present on both sides whose version moved."""

    name: str
    ecosystem: str
    old: Component
    new: Component

    @property
    def old_version(self) -> str:
        return self.old.version

    @property
    def new_version(self) -> str:
        return self.new.version


class LicenceChange(BaseModel):
    name: str
    ecosystem: str
    version: str
    old_licence: str
    new_licence: str
    component: Component


class Delta(BaseModel):
    """Base-vs-head difference of one manifest."""

    manifest: str
    added: list[Component] = Field(default_factory=list)
    removed: list[Component] = Field(default_factory=list)
    upgraded: list[VersionChange] = Field(default_factory=list)
    downgraded: list[VersionChange] = Field(default_factory=list)
    licence_changes: list[LicenceChange] = Field(default_factory=list)
    problems: list[ParseProblem] = Field(
        default_factory=list, description="what could not be read in the head version"
    )
    base_problems: list[ParseProblem] = Field(
        default_factory=list,
        description="what could not be read in the base version (the delta may be inexact)",
    )

    @property
    def is_empty(self) -> bool:
        return not (
            self.added or self.removed or self.upgraded or self.downgraded or self.licence_changes
        )

    @property
    def size(self) -> int:
        return (
            len(self.added)
            + len(self.removed)
            + len(self.upgraded)
            + len(self.downgraded)
            + len(self.licence_changes)
        )

    def head_changed(self) -> list[Component]:
        """Head-side components this delta brings in: added plus the new side of version moves."""
        return list(self.added) + [c.new for c in self.upgraded] + [c.new for c in self.downgraded]


class Severity(StrEnum):
    UNKNOWN = "unknown"
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.UNKNOWN: 0,
    Severity.NONE: 1,
    Severity.LOW: 2,
    Severity.MEDIUM: 3,
    Severity.HIGH: 4,
    Severity.CRITICAL: 5,
}


class OsvEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str = Field(description="introduced | fixed | last_affected | limit")
    value: str


class OsvRange(BaseModel):
    type: str = Field(description="SEMVER | ECOSYSTEM | GIT")
    events: list[OsvEvent] = Field(default_factory=list)
    repo: str | None = None


class OsvAffected(BaseModel):
    ecosystem: str
    name: str
    purl: str | None = None
    ranges: list[OsvRange] = Field(default_factory=list)
    versions: list[str] = Field(default_factory=list)
    severity: list[dict[str, str]] = Field(default_factory=list)
    database_specific: dict[str, Any] = Field(default_factory=dict)


class Advisory(BaseModel):
    """One OSV record, reduced to what matching and reporting need."""

    id: str
    summary: str = ""
    details: str = ""
    aliases: list[str] = Field(default_factory=list)
    modified: str = ""
    published: str = ""
    withdrawn: str | None = None
    severity: list[dict[str, str]] = Field(default_factory=list)
    affected: list[OsvAffected] = Field(default_factory=list)
    database_specific: dict[str, Any] = Field(default_factory=dict)
    source: str = Field(default="", description="file the record was read from")


class SeverityRating(BaseModel):
    """Severity of an advisory and how it was obtained (explanations are data)."""

    severity: Severity
    score: float | None = None
    vector: str | None = None
    source: str = Field(
        description="cvss_v4_computed | cvss_v3_computed | database_specific | none"
    )


class Finding(BaseModel):
    """One advisory that affects one component; annotated on the manifest line."""

    id: str
    aliases: list[str] = Field(default_factory=list)
    package: str
    version: str
    ecosystem: str
    purl: str | None = None
    severity: Severity
    score: float | None = None
    vector: str | None = None
    severity_source: str = ""
    summary: str = ""
    fixed: str | None = Field(default=None, description="first fixed version above `version`")
    file: str = ""
    line: int | None = None
    direct: bool | None = None


class ScanReport(BaseModel):
    """Result of a differential or full scan of one or more manifests."""

    mode: str = Field(description="differential | full")
    deltas: list[Delta] = Field(default_factory=list)
    scanned: int = Field(default=0, description="number of components matched against advisories")
    findings: list[Finding] = Field(default_factory=list)
    problems: list[ParseProblem] = Field(default_factory=list)
    advisories_loaded: int = 0
    notes: list[str] = Field(default_factory=list)
