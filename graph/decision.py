"""Decision Card: the reviewer-facing summary of a blast radius, and its riskCap measurement.

The card is data (`DecisionCard`); `templates/decision_card.md.j2` phrases it. `top` says how many
items of each list are shown before the rest is folded into a `<details>` block; `limit` caps
what the card carries at all (a hub file's cone can hold tens of thousands of files, more than a
check-run summary can show), and the `*_count` fields say how many there were.
"""

from __future__ import annotations

import datetime as dt

import jinja2
from pydantic import BaseModel, Field

from checks.evidence.model import Measurement
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
    required_tests: list[RequiredTest] = Field(description="the first `limit`, nearest first")
    required_test_count: int
    reasons: list[ReasonPath] = Field(description="critical files reached, with their import chain")
    critical_file_count: int
    incidents: list[IncidentHit]
    top: int = Field(default=5, ge=1)
    limit: int = Field(default=50, ge=1, description="items of a list the card carries at most")


def decision_card(blast: BlastRadius, top: int = 5, limit: int = 50) -> DecisionCard:
    """Decision Card for a blast radius; factors sorted by contribution, largest first."""
    limit = max(limit, top)
    return DecisionCard(
        risk=blast.risk,
        level=blast.level,
        evaluated_on=blast.evaluated_on,
        depth_limit=blast.depth_limit,
        changed=blast.changed,
        impacted_files=blast.impacted_count,
        factors=sorted(blast.factors, key=lambda f: (-f.contribution, f.name)),
        services=sorted(
            blast.services, key=lambda s: (-_CRIT_ORDER.get(s.criticality, 0), s.depth, s.name)
        ),
        owners=blast.owners,
        required_tests=blast.required_tests_top(limit),
        required_test_count=blast.required_test_count,
        reasons=blast.critical_files[:limit],
        critical_file_count=blast.critical_file_count,
        incidents=blast.incidents,
        top=top,
        limit=limit,
    )


_CRIT_ORDER = {"critical": 4, "high": 3, "medium": 2, "low": 1}


def render_markdown(card: DecisionCard, env: jinja2.Environment) -> str:
    """Render the `decision_card.md.j2` partial from `env` (the caller owns template loading)."""
    return env.get_template(TEMPLATE).render(card=card)


def reason_facts(card: DecisionCard) -> list[str]:
    """The top reason paths as evidence items of the risk obligation: each impacted service
    (most critical first) and each critical file, with the import chain from the changed file,
    e.g. `billing: src/common/money.py → src/billing/tax.py`."""
    services = [f"{s.name}: {' → '.join(s.reason.path)}" for s in card.services[: card.top]]
    files = [f"{r.path[-1]}: {' → '.join(r.path)}" for r in card.reasons[: card.top]]
    return services + files


def risk_measurement(card: DecisionCard) -> Measurement:
    """The riskCap measurement: the card's risk, with the reason paths as the facts a failing
    obligation row shows."""
    return Measurement(
        key="riskCap",
        value=card.risk,
        source="blast radius on the code graph",
        facts=reason_facts(card),
        details={
            "level": card.level,
            "reason_paths": [" → ".join(s.reason.path) for s in card.services]
            + [" → ".join(r.path) for r in card.reasons],
        },
    )
