"""Per-ecosystem version ordering and OSV range evaluation.

* PyPI: PEP 440 through `packaging.version.Version`.
* npm, crates.io, Go: semantic versioning (`checks.sbom.semver`); Go's 'v' prefix and
  '+incompatible' suffix are accepted; the Go toolchain's 'go1.22' form too.
* any other ecosystem (Maven, Packagist, RubyGems, NuGet …): a loose, Maven-like ordering
  (numbers numerically, alpha < beta < milestone < rc < snapshot < release < sp), which is an
  approximation of those ecosystems' rules.

Ranges (OSV schema §affected[].ranges): SEMVER ranges always use semver, ECOSYSTEM ranges the
ecosystem's ordering; events are sorted and replayed (introduced / fixed / last_affected) as
the OSV specification's evaluation pseudo-code does. GIT ranges name commits, which a lockfile
version cannot be placed against, so they are ignored; `limit` events only apply to GIT.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from packaging.version import InvalidVersion, Version

from checks.sbom.ecosystems import CRATES_IO, GO, NPM, PYPI, base_ecosystem
from checks.sbom.models import OsvAffected, OsvRange
from checks.sbom.semver import semver_key

VersionKey = Any
KeyFn = Callable[[str], VersionKey | None]


@lru_cache(maxsize=65536)
def pep440_key(version: str) -> Version | None:
    try:
        return Version(version)
    except InvalidVersion:
        return None


def go_key(version: str) -> VersionKey | None:
    v = version.strip()
    if v.startswith("go"):
        v = v[2:]
    return semver_key(v)


_TOKEN = re.compile(r"\d+|[a-z]+")
_QUALIFIERS = {
    "alpha": 0,
    "a": 0,
    "beta": 1,
    "b": 1,
    "milestone": 2,
    "m": 2,
    "rc": 3,
    "cr": 3,
    "preview": 3,
    "pre": 3,
    "snapshot": 4,
    "dev": 4,
}
_RELEASE = (2, 0, "")
_RELEASE_WORDS = {"ga", "final", "release", "r"}


@lru_cache(maxsize=65536)
def loose_key(version: str) -> tuple[tuple[int, int, str], ...] | None:
    """Maven-like ordering for ecosystems without a dedicated comparator."""
    tokens = _TOKEN.findall(version.lower().lstrip("v"))
    if not tokens:
        return None
    items: list[tuple[int, int, str]] = []
    for tok in tokens:
        if not tok.isdigit():
            while items and items[-1] == (3, 0, ""):
                items.pop()  # "1.0-rc1" is "1-rc1", as Maven trims zeros before a qualifier
        if tok.isdigit():
            items.append((3, int(tok), ""))
        elif tok in _RELEASE_WORDS:
            items.append(_RELEASE)
        elif tok in _QUALIFIERS:
            items.append((1, _QUALIFIERS[tok], ""))
        elif tok == "sp":
            items.append((2, 1, ""))
        else:
            items.append((2, 2, tok))
    while items and items[-1] in ((3, 0, ""), _RELEASE):
        items.pop()
    return (*items, _RELEASE)


def key_function(ecosystem: str, range_type: str = "ECOSYSTEM") -> KeyFn:
    """The ordering used to evaluate a range of `range_type` for `ecosystem`."""
    eco = base_ecosystem(ecosystem)
    if range_type == "SEMVER":
        return go_key if eco == GO else semver_key
    if eco == PYPI:
        return pep440_key
    if eco in (NPM, CRATES_IO):
        return semver_key
    if eco == GO:
        return go_key
    return loose_key


def compare_versions(ecosystem: str, a: str, b: str) -> int:
    """-1/0/1 ordering of two versions; falls back to the loose ordering, then to text."""
    for fn in (key_function(ecosystem), loose_key):
        ka, kb = fn(a), fn(b)
        if ka is not None and kb is not None:
            return (ka > kb) - (ka < kb)
    return (a > b) - (a < b)


_MIN = (0,)


def evaluate_range(version: str, rng: OsvRange, ecosystem: str) -> tuple[bool | None, str | None]:
    """(affected, first fixed version above `version`) for one range.

    affected is None when the range cannot be evaluated (GIT range, or versions that do not
    parse in the ecosystem's scheme).
    """
    if rng.type not in ("SEMVER", "ECOSYSTEM"):
        return None, None
    fn = key_function(ecosystem, rng.type)
    v = fn(version)
    if v is None:
        return None, None
    keyed: list[tuple[tuple[Any, ...], str, str]] = []
    for ev in rng.events:
        if ev.kind == "limit":
            continue
        if ev.kind == "introduced" and ev.value == "0":
            keyed.append((_MIN, ev.kind, ev.value))
            continue
        k = fn(ev.value)
        if k is None:
            return None, None
        keyed.append(((1, k), ev.kind, ev.value))
    try:
        keyed.sort(key=lambda e: e[0])
    except TypeError:
        return None, None
    affected = False
    closing: tuple[str, str] | None = None  # first fixed/last_affected event above `version`
    vk = (1, v)
    for ek, kind, value in keyed:
        if kind == "introduced":
            if ek == _MIN or vk >= ek:
                affected = True
        elif kind == "fixed":
            if vk >= ek:
                affected = False
            elif closing is None:
                closing = (kind, value)
        elif kind == "last_affected":
            if vk > ek:
                affected = False
            elif closing is None:
                closing = (kind, value)
    if not affected:
        return False, None
    return True, (closing[1] if closing and closing[0] == "fixed" else None)


def _in_versions(version: str, listed: Sequence[str], ecosystem: str) -> bool:
    if version in listed:
        return True
    fn = key_function(ecosystem)
    v = fn(version)
    if v is None:
        return False
    for item in listed:
        k = fn(item)
        if k is not None and k == v:
            return True
    return False


def affected_match(version: str, affected: OsvAffected, ecosystem: str) -> tuple[bool, str | None]:
    """(is `version` affected by this `affected[]` entry, first fixed version above it)."""
    hit = False
    fixes: list[str] = []
    for rng in affected.ranges:
        is_aff, fixed = evaluate_range(version, rng, ecosystem)
        if is_aff:
            hit = True
            if fixed is not None:
                fixes.append(fixed)
    if not hit and affected.versions and _in_versions(version, affected.versions, ecosystem):
        hit = True
        # A bare versions list names no fix; take the lowest fixed event above us, if any.
        for rng in affected.ranges:
            fn = key_function(ecosystem, rng.type)
            v = fn(version)
            for ev in rng.events:
                if ev.kind == "fixed":
                    k = fn(ev.value)
                    if v is not None and k is not None and k > v:
                        fixes.append(ev.value)
    if not hit:
        return False, None
    return True, lowest(fixes, ecosystem)


def lowest(versions: Sequence[str], ecosystem: str) -> str | None:
    best: str | None = None
    for v in versions:
        if best is None or compare_versions(ecosystem, v, best) < 0:
            best = v
    return best
