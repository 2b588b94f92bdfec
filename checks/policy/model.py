"""The per-repository policy (`.github/maestro.yml`) as a pydantic model, with the documented
defaults (docs/policy.md) for every field, so a repository without the file gets a full policy.
"""

from __future__ import annotations

import re
from typing import Literal, cast

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from checks.obligations.catalog import DEFAULT_REQUIRED, SPECS, THRESHOLD_KEYS
from checks.rules.parser import parse_rule
from checks.rules.syntax import Expr, ParseError

ObligationKey = Literal[
    "specCoverage",
    "invariants",
    "cepGuards",
    "mutationScore",
    "perfP95BudgetMs",
    "riskCap",
    "sbomCriticals",
    "piiFindings",
]
Permission = Literal["read", "triage", "write", "maintain", "admin"]
PERMISSION_RANK: dict[str, int] = {
    "none": 0,
    "read": 1,
    "triage": 2,
    "write": 3,
    "maintain": 4,
    "admin": 5,
}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Thresholds(_Strict):
    """Threshold per obligation; unset fields inherit (the defaults, or the base policy)."""

    specCoverage: float | None = Field(default=None, ge=0, le=1)
    mutationScore: float | None = Field(default=None, ge=0, le=1)
    perfP95BudgetMs: float | None = Field(default=None, gt=0)
    riskCap: float | None = Field(default=None, ge=0, le=1)
    sbomCriticals: int | None = Field(default=None, ge=0)
    piiFindings: int | None = Field(default=None, ge=0)

    def values(self) -> dict[str, float | int]:
        return {k: v for k in THRESHOLD_KEYS if (v := getattr(self, k)) is not None}


class Override(_Strict):
    """Different thresholds or obligations for files matching `paths` (monorepo services)."""

    paths: list[str] = Field(min_length=1)
    thresholds: Thresholds = Thresholds()
    require: list[ObligationKey] = Field(default_factory=list)
    skip: list[ObligationKey] = Field(default_factory=list)


class RuleSpec(_Strict):
    """A named invariant or CEP guard. `effect` says what a false rule does: `block` fails the
    obligation, `risk` adds `risk` to the risk score, `invalidate_approvals` drops approvals
    older than the last push before invariants are evaluated."""

    rule: str
    description: str = ""
    effect: Literal["block", "risk", "invalidate_approvals"] = "block"
    risk: float = Field(default=0.2, ge=0, le=1)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: object) -> object:
        return {"rule": data} if isinstance(data, str) else data

    @field_validator("rule")
    @classmethod
    def _parses(cls, text: str) -> str:
        try:
            parse_rule(text)
        except ParseError as exc:
            raise PydanticCustomError(
                "rule_syntax",
                "{message} (column {column})",
                {"message": exc.message, "column": exc.column},
            ) from None
        return text

    @property
    def expr(self) -> Expr:
        return parse_rule(self.rule)  # cached by parse_rule: parsed once per policy text


class WaiverPolicy(_Strict):
    min_permission: Permission = "maintain"
    users: list[str] = Field(default_factory=list, description="may waive whatever their role")
    teams: list[str] = Field(default_factory=list, description="'@org/team' who may waive")
    default_days: int = Field(default=14, ge=1, le=365)
    max_days: int = Field(default=30, ge=1, le=365)
    not_waivable: list[str] = Field(default_factory=list)


class EvidenceSettings(_Strict):
    artifact: str = Field(default="maestro-evidence", min_length=1, max_length=100)
    timeout_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)


class PiiSettings(_Strict):
    """Paths whose PII/secret findings are allowed (fixtures, documented test data)."""

    allow_paths: list[str] = Field(default_factory=list)


class SbomSettings(_Strict):
    """Treat high-severity advisories as blocking too (criticals always block)."""

    block_high: bool = False


class Policy(_Strict):
    version: Literal[1] = 1
    thresholds: Thresholds = Thresholds()
    required: list[ObligationKey] = Field(
        default_factory=lambda: [cast(ObligationKey, k) for k in DEFAULT_REQUIRED]
    )
    overrides: list[Override] = Field(default_factory=list)
    invariants: dict[str, RuleSpec] = Field(default_factory=dict)
    cep_guards: dict[str, RuleSpec] = Field(default_factory=dict)
    waivers: WaiverPolicy = WaiverPolicy()
    evidence: EvidenceSettings = EvidenceSettings()
    pii: PiiSettings = PiiSettings()
    sbom: SbomSettings = SbomSettings()
    # Draft pull requests: unset, MAESTRO_PROCESS_DRAFTS decides (false: skip, true: check).
    drafts: Literal["check", "neutral", "skip"] | None = None
    configured: bool = Field(default=False, exclude=True, description="read from a file")

    @field_validator("invariants", "cep_guards")
    @classmethod
    def _names(cls, rules: dict[str, RuleSpec]) -> dict[str, RuleSpec]:
        for name in rules:
            if not _NAME.match(name):
                raise PydanticCustomError(
                    "rule_name",
                    "rule name {name!r} must be letters, digits, '.', '_' or '-'",
                    {"name": name},
                )
        return rules

    def base_thresholds(self) -> dict[str, float | int]:
        """Defaults with this policy's thresholds applied."""
        merged: dict[str, float | int] = {
            k: d for k in THRESHOLD_KEYS if (d := SPECS[k].default) is not None
        }
        merged.update(self.thresholds.values())
        return merged


DEFAULT_POLICY = Policy()
