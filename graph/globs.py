"""Gitignore-style path patterns, as GitHub applies them to CODEOWNERS (also used by services.yml).

Rules implemented (GitHub's CODEOWNERS documentation):
- a pattern with a slash at the start or in the middle is anchored at the repository root;
  otherwise it matches at any depth (`*.js`, `apps/`);
- `*` matches within one path segment, `?` one character, `**` any number of segments;
- a pattern that matches a directory matches everything below it (`/apps/github`, `docs/`),
  except a pattern ending in `/*`, which matches only files directly inside (`docs/*`);
- negation (`!`) and character ranges (`[...]`) are not supported by GitHub: callers reject them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


def _segment_regex(segment: str) -> str:
    out: list[str] = []
    for ch in segment:
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        else:
            out.append(re.escape(ch))
    return "".join(out)


def translate(pattern: str) -> str:
    """Regex source (no anchors) matching a path the pattern covers, including paths below a
    matched directory."""
    pat = pattern.strip()
    directory_only = pat.endswith("/")
    pat = pat.rstrip("/")
    anchored = pat.startswith("/") or "/" in pat
    pat = pat.lstrip("/")
    files_only = pat.endswith("/*") and not pat.endswith("/**/*")
    segments = pat.split("/") if pat else []
    parts: list[str] = []
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        if seg == "**":
            # `a/**` matches everything inside a; `**/b` and `a/**/b` zero or more segments.
            parts.append(".*" if last else "(?:[^/]+/)*")
            continue
        parts.append(_segment_regex(seg) + ("" if last else "/"))
    body = "".join(parts)
    prefix = "" if anchored else "(?:[^/]+/)*"
    if files_only:
        suffix = ""
    elif directory_only:
        suffix = "/.*"
    else:
        suffix = "(?:/.*)?"
    return prefix + body + suffix


@dataclass(frozen=True)
class PathPattern:
    """One compiled pattern; `matches(path)` takes a repository-relative POSIX path."""

    pattern: str
    regex: re.Pattern[str] = field(compare=False, repr=False)

    @classmethod
    def compile(cls, pattern: str) -> PathPattern:
        return cls(pattern, re.compile(translate(pattern)))

    def matches(self, path: str) -> bool:
        return self.regex.fullmatch(path) is not None


def unsupported_syntax(pattern: str) -> str | None:
    """Reason code if the pattern uses gitignore syntax GitHub does not support, else None."""
    if pattern.startswith("!"):
        return "negation_unsupported"
    if "[" in pattern or "]" in pattern:
        return "character_range_unsupported"
    if pattern.startswith("\\#"):
        return "escaped_hash_unsupported"
    return None


class PatternSet:
    """Several patterns; `matches` is true if any pattern matches (one combined regex)."""

    def __init__(self, patterns: list[str] | tuple[str, ...]) -> None:
        self.patterns = tuple(patterns)
        source = "|".join(f"(?:{translate(p)})" for p in self.patterns)
        self._regex = re.compile(source) if self.patterns else None

    def matches(self, path: str) -> bool:
        return self._regex is not None and self._regex.fullmatch(path) is not None
