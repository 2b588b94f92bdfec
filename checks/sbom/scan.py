"""Verdicts: findings for components, differential and full scans, the criticals count."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from checks.sbom.delta import diff_manifest
from checks.sbom.models import Component, Delta, Finding, ScanReport, Severity
from checks.sbom.osv import OsvIndex
from checks.sbom.parsers import Resolver, parse_manifest

GIT_RANGES_NOTE = (
    "GIT ranges in advisories are not evaluated (a lockfile version cannot be placed on a "
    "commit graph); SEMVER and ECOSYSTEM ranges and 'versions' lists are."
)


def _sort_key(f: Finding) -> tuple[int, str, int, str, str]:
    return (-f.severity.rank, f.file, f.line or 0, f.package, f.id)


def scan_components(components: Iterable[Component], index: OsvIndex) -> list[Finding]:
    """Findings for the given components, one per (advisory, package, version, file)."""
    seen: dict[tuple[str, str, str, str, str], Finding] = {}
    for comp in components:
        for f in index.match(comp):
            k = (f.id, f.ecosystem, f.package, f.version, f.file)
            prev = seen.get(k)
            if prev is None or (f.line or 0) < (prev.line or 0):
                seen[k] = f
    return sorted(seen.values(), key=_sort_key)


def sbom_criticals(findings: Iterable[Finding], block_high: bool = False) -> int:
    """Number of distinct (advisory, package, version) findings that block the merge:
    critical ones, and high ones too when `block_high`."""
    blocking = {Severity.CRITICAL, Severity.HIGH} if block_high else {Severity.CRITICAL}
    return len(
        {(f.id, f.ecosystem, f.package, f.version) for f in findings if f.severity in blocking}
    )


def differential_scan(
    manifests: Mapping[str, tuple[bytes | str | None, bytes | str | None]],
    index: OsvIndex,
    *,
    fmt: str | None = None,
    resolve: Resolver | None = None,
) -> ScanReport:
    """Scan only what changed: for each touched manifest path -> (base bytes, head bytes),
    compute the delta and match the added and version-changed head components."""
    report = ScanReport(mode="differential", advisories_loaded=len(index), notes=[GIT_RANGES_NOTE])
    changed: list[Component] = []
    for path, (base, head) in manifests.items():
        d = diff_manifest(path, base, head, fmt=fmt, resolve=resolve)
        report.deltas.append(d)
        report.problems.extend(d.problems)
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
