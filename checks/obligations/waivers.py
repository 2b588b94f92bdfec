"""Waivers (the exception policy): who may waive which obligation, for how long, on which head.

A waiver is applied only when its author is allowed by the policy (listed user or team, or a
repository role at least `waivers.min_permission` in GitHub's order read < triage < write <
maintain < admin), the obligation exists (the catalog or a rule the policy names) and is
waivable, it ends in the future and within `waivers.max_days`, and it is for this head SHA.
Decisions are data (reason codes plus what the reply needs to explain them).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from pydantic import BaseModel, Field

from checks.obligations.catalog import SPECS
from checks.policy.model import PERMISSION_RANK, Policy
from checks.proofcard import ObligationResult, ObligationStatus
from checks.rules.facts import team_slug


class Waiver(BaseModel):
    obligation: str = Field(description="obligation key, or invariants.<name> / cepGuards.<name>")
    by: str
    reason: str
    permission: str | None = Field(default=None, description="the author's role on the repo")
    teams: list[str] = Field(default_factory=list, description="waiver teams the author is in")
    teams_unknown: list[str] = Field(
        default_factory=list, description="waiver teams whose membership could not be read"
    )
    owner: str = Field(default="", description="who answers for the waiver (default: by)")
    created_at: datetime
    expires_at: datetime | None = None
    head_sha: str | None = None


class WaiverDecision(BaseModel):
    allowed: bool
    reason: str  # waiver_allowed | waiver_permission_too_low | waiver_not_waivable | …
    expires_at: datetime | None = None
    min_permission: str = ""
    permission: str = Field(default="", description="the author's role, as GitHub reported it")
    users: list[str] = Field(default_factory=list, description="who may waive whatever their role")
    teams: list[str] = Field(default_factory=list, description="teams whose members may waive")
    teams_unknown: list[str] = Field(default_factory=list)
    max_days: int = 0
    latest: date | None = Field(default=None, description="the last day a waiver may run to")
    obligation: str = Field(default="", description="the canonical obligation name")
    valid_obligations: list[str] = Field(default_factory=list)


def waivable_names(policy: Policy) -> list[str]:
    """Every obligation name a waiver may give: the catalog's, and each rule the policy names
    (`invariants.<name>`, `cepGuards.<name>`)."""
    return [
        *SPECS,
        *(f"invariants.{name}" for name in policy.invariants),
        *(f"cepGuards.{name}" for name in policy.cep_guards),
    ]


def canonical_obligation(policy: Policy, name: str) -> str | None:
    """`name` as the policy spells it ('mutationscore' -> 'mutationScore'); None if unknown."""
    known = {n.lower(): n for n in waivable_names(policy)}
    return known.get(name.lower())


def last_day(expires: datetime) -> date:
    """The last calendar day (UTC) a waiver ending at `expires` still covers."""
    return (expires - timedelta(microseconds=1)).date()


def _covers(pattern: str, key: str) -> bool:
    """'invariants' covers every 'invariants.<name>'."""
    return key == pattern or key.startswith(pattern + ".")


def decide_waiver(
    policy: Policy, waiver: Waiver, now: datetime, head_sha: str | None = None
) -> WaiverDecision:
    rules = policy.waivers
    expires = waiver.expires_at or waiver.created_at + timedelta(days=rules.default_days)
    obligation = canonical_obligation(policy, waiver.obligation)
    facts = WaiverDecision(
        allowed=False,
        reason="",
        expires_at=expires,
        min_permission=rules.min_permission,
        permission=waiver.permission or "none",
        users=list(rules.users),
        teams=list(rules.teams),
        max_days=rules.max_days,
        latest=(waiver.created_at + timedelta(days=rules.max_days)).date(),
        obligation=obligation or waiver.obligation,
    )

    def refuse(reason: str, **more: object) -> WaiverDecision:
        return facts.model_copy(update={"reason": reason, **more})

    named = waiver.by.lower().lstrip("@") in {u.lower().lstrip("@") for u in rules.users}
    in_team = bool({team_slug(t) for t in waiver.teams} & {team_slug(t) for t in rules.teams})
    rank = PERMISSION_RANK.get((waiver.permission or "none").lower(), 0)
    if not (named or in_team or rank >= PERMISSION_RANK[rules.min_permission]):
        unknown = sorted(
            {team_slug(t) for t in waiver.teams_unknown} & {team_slug(t) for t in rules.teams}
        )
        if unknown:
            return refuse("waiver_team_unreadable", teams_unknown=[f"@{t}" for t in unknown])
        return refuse("waiver_permission_too_low")
    if obligation is None:
        return refuse("waiver_unknown_obligation", valid_obligations=waivable_names(policy))
    if any(_covers(p, obligation) or _covers(obligation, p) for p in rules.not_waivable):
        return refuse("waiver_not_waivable")
    if expires <= waiver.created_at:
        return refuse("waiver_date_past")
    if last_day(expires) > (waiver.created_at + timedelta(days=rules.max_days)).date():
        return refuse("waiver_too_long")
    if expires <= now:
        return refuse("waiver_expired")
    if head_sha and waiver.head_sha and waiver.head_sha != head_sha:
        return refuse("waiver_other_head")
    return facts.model_copy(update={"allowed": True, "reason": "waiver_allowed"})


def apply_waivers(
    results: Sequence[ObligationResult],
    policy: Policy,
    waivers: Sequence[Waiver],
    now: datetime,
    head_sha: str | None = None,
) -> list[ObligationResult]:
    """Results with allowed waivers applied to failed or pending obligations."""
    out: list[ObligationResult] = []
    for result in results:
        matching = [w for w in waivers if _covers(w.obligation, result.key)]
        if not matching or result.status not in (ObligationStatus.FAILED, ObligationStatus.PENDING):
            out.append(result)
            continue
        refused: list[dict[str, str]] = []
        applied: tuple[Waiver, WaiverDecision] | None = None
        for waiver in matching:
            decision = decide_waiver(policy, waiver, now, head_sha)
            if decision.allowed:
                applied = (waiver, decision)
                break
            refused.append({"by": waiver.by, "reason": decision.reason})
        details = dict(result.details)
        if refused:
            details["refused_waivers"] = refused
        if applied is None:
            out.append(result.model_copy(update={"details": details}))
            continue
        waiver, decision = applied
        details.update(
            waived_by=waiver.by,
            waiver_owner=waiver.owner,
            waiver_reason=waiver.reason,
            waiver_expires=decision.expires_at.isoformat() if decision.expires_at else None,
            waiver_until=last_day(decision.expires_at).isoformat() if decision.expires_at else None,
            status_before_waiver=result.status.value,
            reason_before_waiver=result.reason,
        )
        out.append(
            result.model_copy(
                update={"status": ObligationStatus.WAIVED, "reason": "waived", "details": details}
            )
        )
    return out
