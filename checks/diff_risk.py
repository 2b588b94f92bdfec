"""Risk of a change from its file list alone (used until the CodeGraph blast radius is known).

Three documented factors, each in [0, 1], weighted and summed:

* churn — lines added + removed, saturating: churn / (churn + 400). Review effectiveness drops
  sharply beyond a few hundred lines, so 400 changed lines count as half the churn risk;
* breadth — files touched, saturating: files / (files + 20);
* sensitive paths — 1 when the change touches a path where mistakes are costly (migrations, CI
  workflows, auth/security code, container and infrastructure definitions, dependency manifests).

risk = 0.6 · churn + 0.25 · breadth + 0.15 · sensitive, so risk ∈ [0, 1).
"""

from __future__ import annotations

from fnmatch import fnmatch

from pydantic import BaseModel

from checks.changes import FileChange

CHURN_HALF_POINT = 400
BREADTH_HALF_POINT = 20
WEIGHTS = {"churn": 0.6, "breadth": 0.25, "sensitive_paths": 0.15}
SENSITIVE_GLOBS: tuple[str, ...] = (
    "*migrations/*",
    ".github/workflows/*",
    "*auth*",
    "*security*",
    "*secret*",
    "Dockerfile",
    "*/Dockerfile",
    "*.tf",
    "requirements*.txt",
    "pyproject.toml",
    "package.json",
    "package-lock.json",
    "go.mod",
    "Cargo.toml",
)


class RiskFactor(BaseModel):
    name: str
    weight: float
    value: float
    evidence: list[str]


class DiffRisk(BaseModel):
    score: float
    factors: list[RiskFactor]
    lines_added: int
    lines_removed: int
    files_changed: int


def _sensitive(path: str) -> bool:
    return any(fnmatch(path, pattern) for pattern in SENSITIVE_GLOBS)


def diff_risk(files: list[FileChange]) -> DiffRisk:
    added = sum(f.additions for f in files)
    removed = sum(f.deletions for f in files)
    churn = added + removed
    sensitive = sorted(f.filename for f in files if _sensitive(f.filename))
    factors = [
        RiskFactor(
            name="churn",
            weight=WEIGHTS["churn"],
            value=churn / (churn + CHURN_HALF_POINT),
            evidence=[f"{churn} lines changed"],
        ),
        RiskFactor(
            name="breadth",
            weight=WEIGHTS["breadth"],
            value=len(files) / (len(files) + BREADTH_HALF_POINT),
            evidence=[f"{len(files)} files changed"],
        ),
        RiskFactor(
            name="sensitive_paths",
            weight=WEIGHTS["sensitive_paths"],
            value=1.0 if sensitive else 0.0,
            evidence=sensitive[:10],
        ),
    ]
    score = sum(f.weight * f.value for f in factors)
    return DiffRisk(
        score=round(score, 4),
        factors=factors,
        lines_added=added,
        lines_removed=removed,
        files_changed=len(files),
    )
