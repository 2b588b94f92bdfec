"""Facts about one pull request that rules are evaluated over: changed files, labels, approvals,
author, size and the ordered event stream (pushes, approvals, reverts …). Plain data; the lead's
handlers (or `maestro proof` on a local checkout) fill it in.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class Approval(BaseModel):
    """A current approving review: `commit_sha` is the head it approved, so an approval whose
    commit is not the pull request's head predates a push (GitHub's "stale" review)."""

    user: str
    teams: list[str] = Field(default_factory=list, description="'org/team' slugs of the user")
    at: datetime | None = None
    commit_sha: str = ""


class PrEvent(BaseModel):
    """One event in the pull request's history, e.g. kind push / approval / revert / label."""

    kind: str
    at: datetime
    actor: str = ""
    sha: str = ""
    paths: list[str] = Field(default_factory=list)


class PullRequestFacts(BaseModel):
    number: int = 0
    author: str = ""
    author_teams: list[str] = Field(default_factory=list)
    base_ref: str = ""
    head_sha: str = ""
    draft: bool = False
    labels: list[str] = Field(default_factory=list)
    changed_files: list[str] = Field(default_factory=list)
    lines_added: int = 0
    lines_removed: int = 0
    approvals: list[Approval] = Field(default_factory=list)
    unknown_teams: dict[str, str] = Field(
        default_factory=dict,
        description="'org/team' slug -> why its membership could not be read (the rules that "
        "need it are undecided, never silently true or false)",
    )
    events: list[PrEvent] = Field(default_factory=list)
    now: datetime | None = Field(default=None, description="evaluation time for windows")

    def sorted_events(self) -> list[PrEvent]:
        return sorted(self.events, key=lambda e: e.at)

    def reference_time(self) -> datetime | None:
        if self.now is not None:
            return self.now
        return max((e.at for e in self.events), default=None)


def team_slug(team: str) -> str:
    """'@Org/DBA' and 'org/dba' name the same team."""
    return team.strip().lstrip("@").lower()
