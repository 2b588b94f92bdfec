"""Allow-listing: an inline `maestro: allow-pii <reason>` comment, or a configured path glob.

An inline marker applies to its own line, or to the next line when it stands alone on a
comment line. A marker without a reason does not allow anything (a reason is the point).
Globs use `*` (within a path segment), `**` (any number of segments) and `?`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from checks.pii.models import Allowance, AllowSource

_MARKER = re.compile(r"maestro:\s*allow-pii\b[ \t]*(?P<reason>[^\r\n]*)", re.IGNORECASE)
_COMMENT_ONLY = re.compile(r"^\s*(?:#|//|--|;|/\*|\*|<!--|%|')")
_TRAILING_COMMENT_CLOSE = re.compile(r"\s*(?:\*/|-->)\s*$")


def inline_reason(line: str) -> str | None:
    """The reason given by a marker on `line`, '' if the marker has no reason, None if absent."""
    m = _MARKER.search(line)
    if m is None:
        return None
    return _TRAILING_COMMENT_CLOSE.sub("", m.group("reason")).strip()


def inline_allowance(lines: Sequence[str], index: int) -> Allowance | None:
    """Allowance from a marker on `lines[index]` or on a comment-only line just above it."""
    reason = inline_reason(lines[index])
    if reason is None and index > 0 and _COMMENT_ONLY.match(lines[index - 1]):
        reason = inline_reason(lines[index - 1])
    if not reason:
        return None
    return Allowance(source=AllowSource.INLINE, reason=reason[:200])


@lru_cache(maxsize=256)
def _glob_regex(glob: str) -> re.Pattern[str]:
    out: list[str] = []
    i = 0
    while i < len(glob):
        ch = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out) + r"\Z")


def glob_match(path: str, glob: str) -> bool:
    """Whether `path` (posix, repository-relative) matches `glob`; a leading './' is ignored."""
    path = path.removeprefix("./")
    glob = glob.strip().removeprefix("./")
    if not glob:
        return False
    if glob.endswith("/"):
        glob += "**"
    return _glob_regex(glob).match(path) is not None


def path_allowance(path: str, globs: Sequence[str]) -> Allowance | None:
    for glob in globs:
        if glob_match(path, glob):
            return Allowance(source=AllowSource.PATH_GLOB, reason=glob)
    return None
