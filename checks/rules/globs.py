"""Path globs as GitHub Actions `paths` filters read them, used by the policy and the rule language.

- `*` matches any characters except `/`; `?` matches one character except `/`;
- `**` matches any characters including `/`; `**/` also matches nothing, so `**/README.md`
  matches `README.md` at the root and in every directory;
- patterns are anchored at the repository root and match the whole path; a leading `/` or `./`
  is ignored. `[` and `]` are literal (no character classes).
"""

from __future__ import annotations

import re
from functools import lru_cache


def translate(pattern: str) -> str:
    """Regular-expression source (without anchors) for `pattern`."""
    pat = pattern.strip()
    if pat.startswith("./"):
        pat = pat[2:]
    pat = pat.lstrip("/")
    out: list[str] = []
    i = 0
    while i < len(pat):
        if pat.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pat.startswith("**", i):
            out.append(".*")
            i += 2
        elif pat[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pat[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pat[i]))
            i += 1
    return "".join(out)


@lru_cache(maxsize=1024)
def compile_glob(pattern: str) -> re.Pattern[str]:
    """The compiled, fully anchored matcher for `pattern` (cached: policies reuse patterns)."""
    return re.compile(translate(pattern) + r"\Z", re.DOTALL)


def glob_match(pattern: str, path: str) -> bool:
    """Whether the repository-relative `path` matches `pattern`."""
    return compile_glob(pattern).match(path.lstrip("/")) is not None


def any_match(patterns: list[str] | tuple[str, ...], path: str) -> bool:
    return any(glob_match(p, path) for p in patterns)
