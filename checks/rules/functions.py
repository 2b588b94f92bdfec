"""The functions rules can call: their signatures (checked at parse time) and their evaluation
over `PullRequestFacts`. Each returns its value and the witness items behind it (matching
files, current approvers, events …) so that a failing rule names the facts that made it fail.
A value of None means "unknown" (e.g. a team whose membership GitHub would not show); the
function's `unknown_reason` says why, and the items name what could not be read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from checks.rules.facts import PrEvent, PullRequestFacts, team_slug
from checks.rules.globs import any_match, glob_match
from checks.rules.syntax import Call, ParseError, Type

MAX_ITEMS = 20

Value = bool | float | str
Impl = Callable[[PullRequestFacts, tuple[Value, ...]], tuple[Value | None, list[str]]]


@dataclass(frozen=True)
class Function:
    name: str
    params: tuple[Type, ...]  # required parameters
    optional: tuple[Type, ...]  # optional parameters after them
    varargs: Type | None  # more arguments of this type (after at least one)
    returns: Type
    impl: Impl
    doc: str
    unknown_reason: str = ""  # reason code when impl answers None (unknown)

    def check(self, call: Call, text: str) -> None:
        args = call.args
        fixed = self.params + self.optional
        if len(args) < len(self.params):
            raise ParseError(
                f"{self.name}() needs {len(self.params)} argument(s), got {len(args)}",
                text,
                call.col,
            )
        if self.varargs is None and len(args) > len(fixed):
            raise ParseError(
                f"{self.name}() takes at most {len(fixed)} argument(s), got {len(args)}",
                text,
                args[len(fixed)].col,
            )
        for i, arg in enumerate(args):
            want = fixed[i] if i < len(fixed) else self.varargs
            if arg.type is not want:
                raise ParseError(
                    f"argument {i + 1} of {self.name}() must be a {want}, not a {arg.type}",
                    text,
                    arg.col,
                )


def _cap(items: list[str]) -> list[str]:
    if len(items) <= MAX_ITEMS:
        return items
    return [*items[:MAX_ITEMS], f"… {len(items) - MAX_ITEMS} more"]


def _strs(args: tuple[Value, ...]) -> list[str]:
    return [str(a) for a in args]


def _changed(facts: PullRequestFacts, args: tuple[Value, ...]) -> tuple[Value, list[str]]:
    globs = _strs(args)
    hits = [f for f in facts.changed_files if any_match(globs, f)]
    return bool(hits), _cap(hits)


def _only_changed(facts: PullRequestFacts, args: tuple[Value, ...]) -> tuple[Value, list[str]]:
    globs = _strs(args)
    outside = [f for f in facts.changed_files if not any_match(globs, f)]
    if not facts.changed_files:
        return False, []
    return not outside, _cap(outside or facts.changed_files)


def _files_changed(facts: PullRequestFacts, args: tuple[Value, ...]) -> tuple[Value, list[str]]:
    globs = _strs(args)
    hits = [f for f in facts.changed_files if not globs or any_match(globs, f)]
    return float(len(hits)), _cap(hits)


def _lines(which: str) -> Impl:
    def impl(facts: PullRequestFacts, _args: tuple[Value, ...]) -> tuple[Value, list[str]]:
        added, removed = facts.lines_added, facts.lines_removed
        value = {"added": added, "removed": removed, "changed": added + removed}[which]
        return float(value), [f"+{added}", f"-{removed}"]

    return impl


def _label(facts: PullRequestFacts, args: tuple[Value, ...]) -> tuple[Value, list[str]]:
    wanted = {s.lower() for s in _strs(args)}
    present = [lab for lab in facts.labels if lab.lower() in wanted]
    return bool(present), _cap(present or list(facts.labels))


def _author(facts: PullRequestFacts, args: tuple[Value, ...]) -> tuple[Value, list[str]]:
    wanted = {s.lower().lstrip("@") for s in _strs(args)}
    return facts.author.lower() in wanted, [facts.author]


def _author_in_team(
    facts: PullRequestFacts, args: tuple[Value, ...]
) -> tuple[Value | None, list[str]]:
    team = team_slug(str(args[0]))
    teams = [team_slug(t) for t in facts.author_teams]
    if team not in teams and team in facts.unknown_teams:
        return None, [f"@{team}"]
    return team in teams, [facts.author, *teams]


def _approvers(facts: PullRequestFacts) -> list[str]:
    return [a.user for a in facts.approvals]


def _approved_by(facts: PullRequestFacts, args: tuple[Value, ...]) -> tuple[Value, list[str]]:
    wanted = {s.lower().lstrip("@") for s in _strs(args)}
    hits = [a.user for a in facts.approvals if a.user.lower() in wanted]
    return bool(hits), _cap(hits or _approvers(facts))


def _approved_by_team(
    facts: PullRequestFacts, args: tuple[Value, ...]
) -> tuple[Value | None, list[str]]:
    team = team_slug(str(args[0]))
    hits = [a.user for a in facts.approvals if team in {team_slug(t) for t in a.teams}]
    if not hits and facts.approvals and team in facts.unknown_teams:
        return None, [f"@{team}"]
    return bool(hits), _cap(hits or _approvers(facts))


def _approvals(facts: PullRequestFacts, _args: tuple[Value, ...]) -> tuple[Value, list[str]]:
    return float(len(facts.approvals)), _cap(_approvers(facts))


def _draft(facts: PullRequestFacts, _args: tuple[Value, ...]) -> tuple[Value, list[str]]:
    return facts.draft, []


def _base_branch(facts: PullRequestFacts, args: tuple[Value, ...]) -> tuple[Value, list[str]]:
    return glob_match(str(args[0]), facts.base_ref), [facts.base_ref]


def _event_item(event: PrEvent) -> str:
    who = f" by {event.actor}" if event.actor else ""
    sha = f" {event.sha[:7]}" if event.sha else ""
    return f"{event.kind}{sha}{who} at {event.at.isoformat()}"


def _window(facts: PullRequestFacts, seconds: float | None) -> datetime | None:
    ref = facts.reference_time()
    if seconds is None or ref is None:
        return None
    return ref - timedelta(seconds=seconds)


def _events(facts: PullRequestFacts, args: tuple[Value, ...]) -> tuple[Value, list[str]]:
    kind = str(args[0])
    since = _window(facts, float(args[1]) if len(args) > 1 else None)
    hits = [e for e in facts.sorted_events() if e.kind == kind and (since is None or e.at >= since)]
    return float(len(hits)), _cap([_event_item(e) for e in hits])


def _pushed_after_approval(
    facts: PullRequestFacts, _args: tuple[Value, ...]
) -> tuple[Value, list[str]]:
    """A push came after the last approval: a later push event, or (GitHub's own notion of a
    stale review) the last approval was given on a commit that is no longer the head."""
    events = facts.sorted_events()
    approvals = [e for e in events if e.kind == "approval"]
    if not approvals:
        return False, []
    last = approvals[-1]
    pushes = [e for e in events if e.kind == "push" and e.at > last.at]
    stale = bool(last.sha and facts.head_sha and last.sha != facts.head_sha)
    if not pushes and not stale:
        return False, [_event_item(last)]
    items = [_event_item(last), *(_event_item(p) for p in pushes)]
    if stale and not pushes:
        items.append(f"head is now {facts.head_sha[:7]}")
    return True, _cap(items)


def _max_same_path(facts: PullRequestFacts, args: tuple[Value, ...]) -> tuple[Value, list[str]]:
    kind, seconds = str(args[0]), float(args[1])
    by_path: dict[str, list[PrEvent]] = {}
    for event in facts.sorted_events():
        if event.kind == kind:
            for path in set(event.paths):
                by_path.setdefault(path, []).append(event)
    best: tuple[int, str, list[PrEvent]] = (0, "", [])
    for path in sorted(by_path):
        events = by_path[path]
        start = 0
        for end in range(len(events)):
            while (events[end].at - events[start].at).total_seconds() > seconds:
                start += 1
            if end - start + 1 > best[0]:
                best = (end - start + 1, path, events[start : end + 1])
    count, path, window = best
    items = [path, *(_event_item(e) for e in window)] if count else []
    return float(count), _cap(items)


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function(
            "changed",
            (Type.STR,),
            (),
            Type.STR,
            Type.BOOL,
            _changed,
            "some changed file matches one of the globs",
        ),
        Function(
            "only_changed",
            (Type.STR,),
            (),
            Type.STR,
            Type.BOOL,
            _only_changed,
            "every changed file matches one of the globs (false when nothing changed)",
        ),
        Function(
            "files_changed",
            (),
            (),
            Type.STR,
            Type.NUM,
            _files_changed,
            "number of changed files (matching the globs, if any)",
        ),
        Function(
            "lines_changed",
            (),
            (),
            None,
            Type.NUM,
            _lines("changed"),
            "lines added + lines removed",
        ),
        Function("lines_added", (), (), None, Type.NUM, _lines("added"), "lines added"),
        Function("lines_removed", (), (), None, Type.NUM, _lines("removed"), "lines removed"),
        Function(
            "label",
            (Type.STR,),
            (),
            Type.STR,
            Type.BOOL,
            _label,
            "the pull request has one of the labels",
        ),
        Function(
            "author",
            (Type.STR,),
            (),
            Type.STR,
            Type.BOOL,
            _author,
            "the author is one of the logins",
        ),
        Function(
            "author_in_team",
            (Type.STR,),
            (),
            None,
            Type.BOOL,
            _author_in_team,
            "the author belongs to the team (@org/team)",
            "team_membership_unreadable",
        ),
        Function(
            "approved_by",
            (Type.STR,),
            (),
            Type.STR,
            Type.BOOL,
            _approved_by,
            "one of the logins approved",
        ),
        Function(
            "approved_by_team",
            (Type.STR,),
            (),
            None,
            Type.BOOL,
            _approved_by_team,
            "a member of the team (@org/team) approved",
            "team_membership_unreadable",
        ),
        Function("approvals", (), (), None, Type.NUM, _approvals, "number of approvals"),
        Function("draft", (), (), None, Type.BOOL, _draft, "the pull request is a draft"),
        Function(
            "base_branch",
            (Type.STR,),
            (),
            None,
            Type.BOOL,
            _base_branch,
            "the base branch matches the glob",
        ),
        Function(
            "events",
            (Type.STR,),
            (Type.DUR,),
            None,
            Type.NUM,
            _events,
            "number of events of a kind (within the duration before now)",
        ),
        Function(
            "pushed_after_approval",
            (),
            (),
            None,
            Type.BOOL,
            _pushed_after_approval,
            "a push came after the last approval",
        ),
        Function(
            "max_same_path",
            (Type.STR, Type.DUR),
            (),
            None,
            Type.NUM,
            _max_same_path,
            "most events of a kind touching one path within any window of the duration",
        ),
    )
}
