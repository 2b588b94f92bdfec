"""Verdicts: findings for components, differential and full scans, the criticals count."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from checks.sbom.delta import diff_manifest
from checks.sbom.models import Component, Delta, Finding, ScanReport, Severity
from checks.sbom.osv import OsvIndex
from checks.sbom.parsers import Resolver, parse_manifest
from checks.sbom.versions import compare_versions

GIT_RANGES_NOTE = (
    "GIT ranges in advisories are not evaluated (a lockfile version cannot be placed on a "
    "commit graph); SEMVER and ECOSYSTEM ranges and 'versions' lists are."
)


def _sort_key(f: Finding) -> tuple[int, str, int, str, str]:
    return (-f.severity.rank, f.file, f.line or 0, f.package, f.id)


def scan_components(components: Iterable[Component], index: OsvIndex) -> list[Finding]:
    """Findings for the given components, one per (advisory, package, version, file).

    Advisories that name each other (a GHSA record and the PYSEC or RUSTSEC record of the same
    CVE both match) become one finding: see `merge_aliases`."""
    seen: dict[tuple[str, str, str, str, str], Finding] = {}
    for comp in components:
        for f in index.match(comp):
            k = (f.id, f.ecosystem, f.package, f.version, f.file)
            prev = seen.get(k)
            if prev is None or (f.line or 0) < (prev.line or 0):
                seen[k] = f
    return sorted(merge_aliases(seen.values()), key=_sort_key)


def _root(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _groups(findings: Iterable[Finding]) -> list[list[Finding]]:
    """Findings of the same package version that share an id or alias, transitively."""
    out: list[list[Finding]] = []
    by_component: dict[tuple[str, str, str, str], list[Finding]] = {}
    for f in findings:
        by_component.setdefault((f.ecosystem, f.package, f.version, f.file), []).append(f)
    for same in by_component.values():
        parent = list(range(len(same)))
        owner: dict[str, int] = {}
        for i, f in enumerate(same):
            for name in (f.id, *f.aliases):
                j = owner.setdefault(name, i)
                parent[_root(parent, i)] = _root(parent, j)
        grouped: dict[int, list[Finding]] = {}
        for i, f in enumerate(same):
            grouped.setdefault(_root(parent, i), []).append(f)
        out.extend(grouped.values())
    return out


def _preference(f: Finding) -> tuple[int, int, str]:
    computed = 1 if f.severity_source.startswith("cvss_") else 0
    return (-f.severity.rank, -computed, f.id)


def merge_aliases(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per advisory group: records of the same package version that name each other
    (by id or alias, transitively) are merged. The kept record is the most severe one (a
    computed CVSS score before a database label, then the smallest id, so the choice is
    deterministic); the others' ids join its `aliases`; the fixed version is the highest of
    the group's first fixed versions, which satisfies every record."""
    out: list[Finding] = []
    for group in _groups(findings):
        if len(group) == 1:
            out.append(group[0])
            continue
        group.sort(key=_preference)
        keep = group[0]
        names = {name for f in group for name in (f.id, *f.aliases)} - {keep.id}
        fixes = [f.fixed for f in group if f.fixed]
        fixed = None
        for v in fixes:
            if fixed is None or compare_versions(keep.ecosystem, v, fixed) > 0:
                fixed = v
        line = min((f.line for f in group if f.line), default=keep.line)
        out.append(keep.model_copy(update={"aliases": sorted(names), "fixed": fixed, "line": line}))
    return out


def sbom_criticals(findings: Iterable[Finding], block_high: bool = False) -> int:
    """Number of distinct blocking advisories per package version: critical ones, and high
    ones too when `block_high`. Records that alias each other count once."""
    blocking = {Severity.CRITICAL, Severity.HIGH} if block_high else {Severity.CRITICAL}
    merged = merge_aliases(
        f.model_copy(update={"file": ""}) for f in findings if f.severity in blocking
    )
    return len({(f.id, f.ecosystem, f.package, f.version) for f in merged})


def differential_scan(
    manifests: Mapping[str, tuple[bytes | str | None, bytes | str | None]],
    index: OsvIndex,
    *,
    fmt: str | None = None,
    resolve: Resolver | None = None,
    base_resolve: Resolver | None = None,
) -> ScanReport:
    """Scan only what changed: for each touched manifest path -> (base bytes, head bytes),
    compute the delta and match the added and version-changed head components. `resolve`
    reads files the head versions refer to (`-r` includes, sibling manifests), `base_resolve`
    those of the base versions."""
    report = ScanReport(mode="differential", advisories_loaded=len(index), notes=[GIT_RANGES_NOTE])
    changed: list[Component] = []
    for path, (base, head) in manifests.items():
        d = diff_manifest(path, base, head, fmt=fmt, resolve=resolve, base_resolve=base_resolve)
        report.deltas.append(d)
        report.problems.extend(d.problems + d.base_problems)
        changed.extend(d.head_changed())
    report.scanned = len(changed)
    report.findings = scan_components(changed, index)
    return report


def full_scan(
    manifests: Mapping[str, bytes | str],
    index: OsvIndex,
    *,
    fmt: str | None = None,
    resolve: Resolver | None = None,
) -> ScanReport:
    """Scan every component of every given manifest (the `--full` mode)."""
    report = ScanReport(mode="full", advisories_loaded=len(index), notes=[GIT_RANGES_NOTE])
    comps: list[Component] = []
    for path, data in manifests.items():
        result = parse_manifest(path, data, fmt=fmt, resolve=resolve)
        report.problems.extend(result.problems)
        comps.extend(result.components)
    report.scanned = len(comps)
    report.findings = scan_components(comps, index)
    return report


def findings_for_delta(deltas: Iterable[Delta], index: OsvIndex) -> list[Finding]:
    """Findings introduced by already computed deltas."""
    comps: list[Component] = []
    for d in deltas:
        comps.extend(d.head_changed())
    return scan_components(comps, index)
