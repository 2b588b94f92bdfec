"""Waivers (the exception policy): who may waive which obligation, for how long, on which head.

A waiver is applied only when its author is allowed by the policy (listed user or team, or a
repository role at least `waivers.min_permission` as GitHub reported it), the obligation is
waivable, the waiver is for this head SHA and has not expired. Decisions are data (reason codes).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from checks.policy.model import PERMISSION_RANK, Policy
from checks.proofcard import ObligationResult, ObligationStatus
from checks.rules.facts import team_slug


class Waiver(BaseModel):
    obligation: str = Field(description="obligation key, or invariants.<name> / cepGuards.<name>")
    by: str
    reason: str
    permission: str | None = Field(default=None, description="the author's role on the repo")
    teams: list[str] = Field(default_factory=list)
    created_at: datetime
    expires_at: datetime | None = None
    head_sha: str | None = None


class WaiverDecision(BaseModel):
    allowed: bool
    reason: str  # waiver_allowed | waiver_permission_too_low | waiver_not_waivable | …
    expires_at: datetime | None = None
    min_permission: str = ""


def _covers(pattern: str, key: str) -> bool:
    """'invariants' covers every 'invariants.<name>'."""
    return key == pattern or key.startswith(pattern + ".")


def decide_waiver(
    policy: Policy, waiver: Waiver, now: datetime, head_sha: str | None = None
) -> WaiverDecision:
    rules = policy.waivers
    expires = waiver.expires_at or waiver.created_at + timedelta(days=rules.default_days)

    def refuse(reason: str) -> WaiverDecision:
        return WaiverDecision(
            allowed=False, reason=reason, expires_at=expires, min_permission=rules.min_permission
        )

    named = waiver.by.lower().lstrip("@") in {u.lower().lstrip("@") for u in rules.users}
    in_team = bool({team_slug(t) for t in waiver.teams} & {team_slug(t) for t in rules.teams})
    rank = PERMISSION_RANK.get((waiver.permission or "none").lower(), 0)
    if not (named or in_team or rank >= PERMISSION_RANK[rules.min_permission]):
        return refuse("waiver_permission_too_low")
    if any(
        _covers(p, waiver.obligation) or _covers(waiver.obligation, p) for p in rules.not_waivable
    ):
        return refuse("waiver_not_waivable")
    if expires > waiver.created_at + timedelta(days=rules.max_days):
        return refuse("waiver_too_long")
    if expires <= now:
        return refuse("waiver_expired")
    if head_sha and waiver.head_sha and waiver.head_sha != head_sha:
        return refuse("waiver_other_head")
    return WaiverDecision(
        allowed=True,
        reason="waiver_allowed",
        expires_at=expires,
        min_permission=rules.min_permission,
    )


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
            waiver_reason=waiver.reason,
            waiver_expires=decision.expires_at.isoformat() if decision.expires_at else None,
            status_before_waiver=result.status.value,
            reason_before_waiver=result.reason,
        )
        out.append(
            result.model_copy(
                update={"status": ObligationStatus.WAIVED, "reason": "waived", "details": details}
            )
        )
    return out
