"""Which facts a policy's rules need, read off their parsed trees, so the app asks GitHub only
for those: reviews when a rule looks at approvals, team memberships only for the teams the rules
name, the pull request's commits when a rule looks at pushes, and base-branch history only as
far back as the longest window a rule looks at reverts over.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from checks.policy.model import Policy
from checks.rules.facts import team_slug
from checks.rules.syntax import Call, Expr, calls

# `events("revert")` without a window looks this far back on the base branch.
DEFAULT_REVERT_LOOKBACK_SECONDS = 7 * 86400
# and never further than this, whatever window a rule names.
MAX_REVERT_LOOKBACK_SECONDS = 30 * 86400

_APPROVAL_FUNCTIONS = {"approved_by", "approved_by_team", "approvals", "pushed_after_approval"}


class FactNeeds(BaseModel):
    """What to gather for one policy. Empty: the rules look only at the pull request itself."""

    reviews: bool = False
    approver_teams: list[str] = Field(default_factory=list, description="'org/team' slugs")
    author_teams: list[str] = Field(default_factory=list, description="'org/team' slugs")
    pushes: bool = False
    revert_lookback_seconds: float | None = None

    @property
    def teams(self) -> list[str]:
        return sorted({*self.approver_teams, *self.author_teams})


def _arg(call: Call, index: int) -> str | float | bool | None:
    return call.args[index].value if len(call.args) > index else None


def needs_of(exprs: list[Expr], invalidates_approvals: bool = False) -> FactNeeds:
    """The facts `exprs` read (plus pushes and reviews for an `invalidate_approvals` guard)."""
    needs = FactNeeds(reviews=invalidates_approvals, pushes=invalidates_approvals)
    approver: set[str] = set()
    author: set[str] = set()
    lookback: float | None = None

    def revert_window(seconds: float | None) -> None:
        nonlocal lookback
        window = DEFAULT_REVERT_LOOKBACK_SECONDS if seconds is None else seconds
        lookback = min(MAX_REVERT_LOOKBACK_SECONDS, max(lookback or 0.0, window))

    for expr in exprs:
        for call in calls(expr):
            if call.name in _APPROVAL_FUNCTIONS:
                needs.reviews = True
            if call.name == "approved_by_team":
                approver.add(team_slug(str(_arg(call, 0))))
            elif call.name == "author_in_team":
                author.add(team_slug(str(_arg(call, 0))))
            elif call.name == "pushed_after_approval":
                needs.pushes = True
            elif call.name in ("events", "max_same_path"):
                kind, window = _arg(call, 0), _arg(call, 1)
                if kind == "approval":
                    needs.reviews = True
                elif kind == "push":
                    needs.pushes = True
                elif kind == "revert":
                    revert_window(float(window) if window is not None else None)
    needs.approver_teams = sorted(approver)
    needs.author_teams = sorted(author)
    needs.revert_lookback_seconds = lookback
    return needs


def policy_needs(policy: Policy) -> FactNeeds:
    """What the policy's invariants and CEP guards read (each rule parsed once, cached)."""
    specs = [*policy.invariants.values(), *policy.cep_guards.values()]
    invalidates = any(s.effect == "invalidate_approvals" for s in policy.cep_guards.values())
    return needs_of([s.expr for s in specs], invalidates_approvals=invalidates)
