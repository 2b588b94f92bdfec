"""The obligations Maestro knows: key, title, comparator, default threshold and the evidence each
waits for. One table shared by the schema, the policy defaults and the verifier.
"""

from __future__ import annotations

from dataclasses import dataclass

from checks.proofcard import Comparator


@dataclass(frozen=True)
class ObligationSpec:
    key: str
    title: str
    comparator: Comparator
    default: float | int | None
    awaits: str  # the evidence source Maestro waits for, shown while pending
    computed: bool = False  # computed by Maestro itself (never by the PR's CI)
    integer: bool = False


SPECS: dict[str, ObligationSpec] = {
    s.key: s
    for s in (
        ObligationSpec(
            "specCoverage",
            "Spec coverage",
            Comparator.AT_LEAST,
            0.9,
            "a coverage report (Cobertura or LCOV) in the maestro-evidence artifact",
        ),
        ObligationSpec("invariants", "Invariants", Comparator.ALL_HOLD, None, "the policy"),
        ObligationSpec("cepGuards", "CEP guards", Comparator.ALL_HOLD, None, "the policy"),
        ObligationSpec(
            "mutationScore",
            "Mutation score",
            Comparator.AT_LEAST,
            0.7,
            "a mutation report (mutmut or Stryker) in the maestro-evidence artifact",
        ),
        ObligationSpec(
            "perfP95BudgetMs",
            "p95 latency budget",
            Comparator.AT_MOST,
            1000.0,
            "a pytest-benchmark report in the maestro-evidence artifact",
        ),
        ObligationSpec(
            "riskCap",
            "Risk",
            Comparator.AT_MOST,
            0.7,
            "the blast radius computed by Maestro",
            computed=True,
        ),
        ObligationSpec(
            "sbomCriticals",
            "SBOM criticals",
            Comparator.AT_MOST,
            0,
            "the dependency (SBOM) delta computed by Maestro",
            computed=True,
            integer=True,
        ),
        ObligationSpec(
            "piiFindings",
            "PII findings",
            Comparator.AT_MOST,
            0,
            "the PII and secret scan computed by Maestro",
            computed=True,
            integer=True,
        ),
    )
}

# Obligations with a numeric threshold (the others are rule sets).
THRESHOLD_KEYS: tuple[str, ...] = tuple(k for k, s in SPECS.items() if s.default is not None)

# The obligations every repository owes unless its policy says otherwise (the list, plus
# piiFindings: a secret or a customer's personal data on an added line fails the card by default).
DEFAULT_REQUIRED: tuple[str, ...] = (
    "specCoverage",
    "invariants",
    "cepGuards",
    "mutationScore",
    "perfP95BudgetMs",
    "riskCap",
    "sbomCriticals",
    "piiFindings",
)


def title(key: str) -> str:
    spec = SPECS.get(key.split(".", 1)[0])
    return spec.title if spec else key
