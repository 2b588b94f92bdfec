"""Facts a local git checkout can give the rule language, and the ones it cannot.

`maestro proof` has no pull request: it knows the changed files, the size of the change and the
commits in the range (so reverts, from their messages), but not who approved, who opened it,
its labels, its draft state or its push history. Rules that use those are still evaluated
(as if there were no approvals, labels …) and the card says which ones they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from pydantic import BaseModel, Field

from checks.rules.facts import PrEvent
from checks.rules.parser import parse_rule
from checks.rules.syntax import Call, ParseError, calls

# Functions whose facts only GitHub has.
GITHUB_ONLY = frozenset(
    {
        "approved_by",
        "approved_by_team",
        "approvals",
        "author",
        "author_in_team",
        "label",
        "draft",
        "pushed_after_approval",
    }
)
# Event kinds a local checkout records (see `revert_events`).
LOCAL_EVENT_KINDS = frozenset({"revert"})
EVENT_FUNCTIONS = frozenset({"events", "max_same_path"})


class Commit(BaseModel):
    """One commit of the range, as `git log` tells it."""

    sha: str
    at: datetime = Field(description="committer date")
    author: str = ""
    message: str = ""
    paths: list[str] = Field(default_factory=list)


class LocalGap(BaseModel):
    """A rule that uses facts a local checkout does not have, and which."""

    rule: str  # "invariants.name" / "cepGuards.name"
    unknown: list[str]


def is_revert(message: str) -> bool:
    """git's own revert messages: 'Revert "subject"' … 'This reverts commit <sha>.'"""
    subject = message.strip().split("\n", 1)[0]
    return subject.startswith("Revert ") or "This reverts commit " in message


def revert_events(commits: Iterable[Commit]) -> list[PrEvent]:
    """A `revert` event per reverting commit, touching the paths that commit changed."""
    return [
        PrEvent(
            kind="revert",
            at=c.at,
            actor=c.author,
            sha=c.sha,
            paths=sorted(c.paths),
        )
        for c in commits
        if is_revert(c.message)
    ]


def _unknown(call: Call) -> str | None:
    if call.name in GITHUB_ONLY:
        return f"{call.name}()"
    if call.name in EVENT_FUNCTIONS and call.args:
        kind = str(call.args[0].value)
        if kind not in LOCAL_EVENT_KINDS:
            return f'{call.name}("{kind}")'
    return None


def local_gaps(rules: Mapping[str, Mapping[str, str]]) -> list[LocalGap]:
    """For each rule (kind -> name -> rule text) that reads facts only GitHub has, which."""
    gaps: list[LocalGap] = []
    for kind, named in rules.items():
        for name, text in named.items():
            try:
                expr = parse_rule(text)
            except ParseError:  # the policy parser reports it; nothing to add here
                continue
            unknown = sorted({u for u in map(_unknown, calls(expr)) if u})
            if unknown:
                gaps.append(LocalGap(rule=f"{kind}.{name}", unknown=unknown))
    return gaps
