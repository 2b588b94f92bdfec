"""Decision Card: the reviewer-facing summary of a blast radius, and its riskCap obligation.

The card is data (`DecisionCard`); `templates/decision_card.md.j2` phrases it. `top` says how many
items of each list are shown before the rest is folded into a `<details>` block.
"""

from __future__ import annotations

import datetime as dt

import jinja2
from pydantic import BaseModel, Field

from checks.proofcard import Comparator, ObligationResult, ObligationStatus
from graph.blast import BlastRadius, Factor, ImpactedService, IncidentHit, ReasonPath, RequiredTest

TEMPLATE = "decision_card.md.j2"


class DecisionCard(BaseModel):
    risk: float
    level: str
    evaluated_on: dt.date
    depth_limit: int
    changed: list[str]
    impacted_files: int
    factors: list[Factor]
    services: list[ImpactedService]
    owners: list[str]
    required_tests: list[RequiredTest]
    reasons: list[ReasonPath] = Field(description="critical files reached, with their import chain")
    incidents: list[IncidentHit]
    top: int = Field(default=5, ge=1)


def decision_card(blast: BlastRadius, top: int = 5) -> DecisionCard:
    """Decision Card for a blast radius; factors sorted by contribution, largest first."""
    return DecisionCard(
        risk=blast.risk,
        level=blast.level,
        evaluated_on=blast.evaluated_on,
        depth_limit=blast.depth_limit,
        changed=blast.changed,
        impacted_files=len(blast.impacted),
        factors=sorted(blast.factors, key=lambda f: (-f.contribution, f.name)),
        services=sorted(
            blast.services, key=lambda s: (-_CRIT_ORDER.get(s.criticality, 0), s.depth, s.name)
        ),
        owners=blast.owners,
        required_tests=blast.required_tests,
        reasons=blast.critical_files,
        incidents=blast.incidents,
        top=top,
    )


_CRIT_ORDER = {"critical": 4, "high": 3, "medium": 2, "low": 1}


def render_markdown(card: DecisionCard, env: jinja2.Environment) -> str:
    """Render the `decision_card.md.j2` partial from `env` (the caller owns template loading)."""
    return env.get_template(TEMPLATE).render(card=card)


def risk_cap_result(card: DecisionCard, cap: float) -> ObligationResult:
    """The Proof Card's riskCap obligation: passes when risk ≤ cap; facts are the reason paths."""
    passed = card.risk <= cap
    facts = [f"{s.name}: {' -> '.join(s.reason.path)}" for s in card.services[: card.top]] + [
        " -> ".join(r.path) for r in card.reasons[: card.top]
    ]
    return ObligationResult(
        key="riskCap",
        title="Risk",
        status=ObligationStatus.PASSED if passed else ObligationStatus.FAILED,
        comparator=Comparator.AT_MOST,
        required=cap,
        actual=card.risk,
        source="graph:blast-radius",
        reason="within_limit" if passed else "above_limit",
        facts=facts,
        details={"level": card.level, "factors": [f.model_dump() for f in card.factors]},
    )
