"""Base-vs-head dependency delta of one manifest."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cmp_to_key

from checks.sbom.models import Component, Delta, LicenceChange, VersionChange
from checks.sbom.parsers import Resolver, split_manifest
from checks.sbom.versions import compare_versions


def _group(components: Iterable[Component]) -> dict[tuple[str, str], dict[str, Component]]:
    out: dict[tuple[str, str], dict[str, Component]] = {}
    for c in components:
        versions = out.setdefault(c.key, {})
        prev = versions.get(c.version)
        if prev is None or ((c.line or 0) < (prev.line or 0) and c.file == prev.file):
            versions[c.version] = c
    return out


def _licence_change(old: Component, new: Component) -> LicenceChange | None:
    if old.licence and new.licence and old.licence != new.licence:
        return LicenceChange(
            name=new.name,
            ecosystem=new.ecosystem,
            version=new.version,
            old_licence=old.licence,
            new_licence=new.licence,
            component=new,
        )
    return None


def delta(
    base_components: Iterable[Component], head_components: Iterable[Component], manifest: str = ""
) -> Delta:
    """Added, removed, upgraded and downgraded packages (and licence changes) between two
    component lists of one manifest. Packages are identified by (ecosystem, normalised name);
    when a package is present in several versions, unchanged versions are set aside and the
    rest are paired from the highest down."""
    base = _group(base_components)
    head = _group(head_components)
    out = Delta(manifest=manifest)
    for key in sorted(base.keys() | head.keys()):
        eco = key[0]
        b = base.get(key, {})
        h = head.get(key, {})
        for v in b.keys() & h.keys():
            lc = _licence_change(b[v], h[v])
            if lc:
                out.licence_changes.append(lc)

        def by_version(x: str, y: str, e: str = eco) -> int:
            return compare_versions(e, x, y)

        order = cmp_to_key(by_version)
        old = sorted(b.keys() - h.keys(), key=order)
        new = sorted(h.keys() - b.keys(), key=order)
        while old and new:
            ov, nv = old.pop(), new.pop()
            cmp = compare_versions(eco, nv, ov)
            pair = VersionChange(name=h[nv].name, ecosystem=eco, old=b[ov], new=h[nv])
            if cmp > 0:
                out.upgraded.append(pair)
            elif cmp < 0:
                out.downgraded.append(pair)
            lc = _licence_change(b[ov], h[nv])
            if lc:
                out.licence_changes.append(lc)
        out.removed.extend(b[v] for v in old)
        out.added.extend(h[v] for v in new)
    return out


def diff_manifest(
    path: str,
    base: bytes | str | None,
    head: bytes | str | None,
    *,
    fmt: str | None = None,
    resolve: Resolver | None = None,
    base_resolve: Resolver | None = None,
) -> Delta:
    """Delta of one manifest from its base and head bytes (None: the file did not exist).

    Equivalent to `delta(parse(base), parse(head))`, but cheaper: both files are split into
    raw entries, identical entries are set aside unparsed, and components are built only for
    packages that have at least one differing entry. `resolve` reads the head's `-r` includes
    and `base_resolve` the base's (both are given the including file's path as named by `path`).
    Problems of the head go to `problems`, those of the base to `base_problems` (side "base").
    """
    empty = b""
    b_split = split_manifest(
        path, base if base is not None else empty, fmt=fmt, resolve=base_resolve
    )
    h_split = split_manifest(
        path,
        head if head is not None else empty,
        fmt=fmt,
        resolve=resolve,
    )
    if base is None:
        b_split.entries = {}
    if head is None:
        h_split.entries = {}
        h_split.problems = []
    b_entries, h_entries = b_split.entries, h_split.entries
    touched: set[tuple[str, str]] = set()
    for k, raw in h_entries.items():
        if k not in b_entries or b_entries[k] != raw:
            touched.add((k[0], k[1]))
    for k in b_entries.keys() - h_entries.keys():
        touched.add((k[0], k[1]))
    b_keys = [k for k in b_entries if (k[0], k[1]) in touched]
    h_keys = [k for k in h_entries if (k[0], k[1]) in touched]
    result = delta(b_split.build_keys(b_keys), h_split.build_keys(h_keys), manifest=path)
    result.problems = list(h_split.problems)
    if base is not None:
        result.base_problems = [p.model_copy(update={"side": "base"}) for p in b_split.problems]
    return result
