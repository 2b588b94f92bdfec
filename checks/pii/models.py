"""Data shapes of the PII and secret detector: candidates, findings, redactions and config.

A `Candidate` is internal: it carries the raw matched value and never leaves the package
(its `repr` hides the value). A `Finding` is what callers see: it holds the masked excerpt
and the redaction, never the raw value, so it is safe to log, render or store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel, Field


class Family(StrEnum):
    """Whether a type is a credential or personal data (they have different recall targets)."""

    SECRET = "secret"
    PII = "pii"


class PiiType(StrEnum):
    """What was found."""

    EMAIL = "email"
    PHONE = "phone"
    CREDIT_CARD = "credit_card"
    IBAN = "iban"
    US_SSN = "us_ssn"
    IP_ADDRESS = "ip_address"
    PASSPORT = "passport"
    NATIONAL_ID = "national_id"
    AWS_ACCESS_KEY = "aws_access_key"
    AWS_SECRET_KEY = "aws_secret_key"
    GITHUB_TOKEN = "github_token"
    SLACK_TOKEN = "slack_token"
    STRIPE_KEY = "stripe_key"
    GOOGLE_API_KEY = "google_api_key"
    JWT = "jwt"
    PRIVATE_KEY = "private_key"
    PASSWORD_ASSIGNMENT = "password_assignment"
    HIGH_ENTROPY = "high_entropy"


PII_TYPES: frozenset[PiiType] = frozenset(
    {
        PiiType.EMAIL,
        PiiType.PHONE,
        PiiType.CREDIT_CARD,
        PiiType.IBAN,
        PiiType.US_SSN,
        PiiType.IP_ADDRESS,
        PiiType.PASSPORT,
        PiiType.NATIONAL_ID,
    }
)


def family_of(kind: PiiType) -> Family:
    return Family.PII if kind in PII_TYPES else Family.SECRET


@dataclass(slots=True)
class Candidate:
    """One regex match that passed its validator. `value` is raw: keep it inside the package."""

    kind: PiiType
    rule: str
    value: str = field(repr=False)
    start: int  # offset of the value in the scanned text
    end: int
    line_index: int = 0  # 0-based index of the line in the scanned text
    col_start: int = 0  # 0-based column span of the value on that line
    col_end: int = 0
    end_line_index: int = 0  # differs from line_index only for multi-line values (PEM blocks)


class AllowSource(StrEnum):
    INLINE = "inline"
    PATH_GLOB = "path_glob"


class Allowance(BaseModel):
    """Why a finding does not block: an inline comment or a configured path glob."""

    source: AllowSource
    reason: str = Field(description="the text after `maestro: allow-pii`, or the glob")


class Redaction(BaseModel):
    """A one-click fix: the replacement lines as a GitHub suggested change."""

    start_line: int = Field(description="first new-file line replaced (1-based)")
    end_line: int = Field(description="last new-file line replaced (1-based, inclusive)")
    replacement: str = Field(description="the new text of those lines, value removed")
    suggestion: str = Field(description="markdown ```suggestion block for a review comment")
    strategy: str = Field(description="env_lookup | placeholder | example_value | remove_block")
    env_var: str | None = Field(default=None, description="environment variable to read instead")


class Finding(BaseModel):
    """A detected secret or piece of personal data on one line. Never holds the raw value."""

    type: PiiType
    family: Family
    path: str
    line: int = Field(description="1-based new-file line number")
    end_line: int
    col_start: int = Field(description="0-based column of the first character of the value")
    col_end: int = Field(description="0-based column one past the value")
    rule: str = Field(description="the candidate rule that matched, e.g. aws_access_key_id")
    score: float = Field(description="model probability that this is a real leak (1.0 = certain)")
    threshold: float = Field(description="score at or above which the finding blocks")
    excerpt: str = Field(description="the line with every detected value masked")
    masked_value: str
    reason: str = Field(description="reason code; rendered by templates, e.g. pii_detected")
    allowed: Allowance | None = None
    info: str | None = Field(
        default=None,
        description="why the finding is informational only and never blocks (reason code, e.g. "
        "manifest_author: a package's published author address in its manifest)",
    )
    redaction: Redaction | None = None
    whole_file: bool = Field(
        default=False,
        description="found by scanning the whole head file (GitHub sent no patch): the line may "
        "predate the change, and it cannot carry a review comment",
    )

    @property
    def blocking(self) -> bool:
        return self.allowed is None and self.info is None and self.score >= self.threshold


class DiffProblem(BaseModel):
    """A part of a diff that could not be parsed; reported instead of raising."""

    path: str
    diff_line: int = Field(description="1-based line number in the diff text")
    reason: str


class ScanReport(BaseModel):
    """Everything one scan produced."""

    findings: list[Finding] = Field(default_factory=list)
    suppressed: int = Field(default=0, description="candidates the model scored below threshold")
    files_scanned: int = 0
    lines_scanned: int = 0
    problems: list[DiffProblem] = Field(default_factory=list)
    whole_files: list[str] = Field(
        default_factory=list,
        description="files scanned whole because the diff came without a patch (large diffs)",
    )
    unscanned: list[str] = Field(
        default_factory=list,
        description="files with added lines that could not be scanned (no patch, no head file)",
    )

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    @property
    def allowed(self) -> list[Finding]:
        return [f for f in self.findings if f.allowed is not None]

    @property
    def informational(self) -> list[Finding]:
        """Reported, not blocking, and not allow-listed either (e.g. manifest authors)."""
        return [f for f in self.findings if f.info is not None and f.allowed is None]


class PiiConfig(BaseModel):
    """Scanner settings; the policy file supplies `allow_paths`."""

    allow_paths: list[str] = Field(
        default_factory=list, description="path globs whose findings are allowed (** supported)"
    )
    use_model: bool = Field(default=True, description="False = regex and validators only")
    thresholds: dict[str, float] = Field(
        default_factory=dict, description="per-type score thresholds overriding the model's"
    )
    include_suppressed: bool = Field(
        default=False, description="also return findings the model scored below threshold"
    )
    disabled_types: list[PiiType] = Field(default_factory=list)
