"""Semantic Versioning 2.0.0 parsing and precedence (https://semver.org), as used by npm,
crates.io and Go modules.

Precedence (semver.org §11): major, minor and patch compare numerically; a version with a
pre-release is lower than the same version without; pre-release identifiers compare one by
one, numeric ones numerically and below alphanumeric ones (compared in ASCII order); a
longer list of identifiers wins when all preceding ones are equal. Build metadata is ignored.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Strict form, plus the leniencies registries actually show: a leading 'v' or '=' (Go, npm)
# and a missing minor/patch ("1.2" -> 1.2.0), which npm and cargo never write but SBOMs do.
_SEMVER = re.compile(
    r"^\s*[v=]?\s*(0|[1-9]\d*|\d+)(?:\.(0|[1-9]\d*|\d+))?(?:\.(0|[1-9]\d*|\d+))?"
    r"(?:-((?:[0-9A-Za-z-]+)(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?\s*$"
)

PreKey = tuple[tuple[int, int | str], ...]
SemverKey = tuple[int, int, int, int, PreKey]


@lru_cache(maxsize=65536)
def semver_key(version: str) -> SemverKey | None:
    """A sort key implementing semver precedence, or None if `version` is not semver."""
    m = _SEMVER.match(version)
    if m is None:
        return None
    major, minor, patch, pre, _build = m.groups()
    if pre is None:
        return (int(major), int(minor or 0), int(patch or 0), 1, ())
    ids: list[tuple[int, int | str]] = []
    for ident in pre.split("."):
        if ident.isdigit():
            ids.append((0, int(ident)))
        else:
            ids.append((1, ident))
    return (int(major), int(minor or 0), int(patch or 0), 0, tuple(ids))


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as `a` precedes, equals or follows `b`; ValueError if either is not semver."""
    ka, kb = semver_key(a), semver_key(b)
    if ka is None or kb is None:
        raise ValueError(f"not a semantic version: {a if ka is None else b!r}")
    return (ka > kb) - (ka < kb)
