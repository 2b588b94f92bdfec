"""Differential SBOM: lockfile and SBOM parsing, dependency delta, offline OSV matching.

Pure: functions take bytes/str (or a path where they say so) and return pydantic models.
"""

from checks.sbom.delta import delta, diff_manifest
from checks.sbom.models import (
    Advisory,
    Component,
    Delta,
    Finding,
    LicenceChange,
    ParseProblem,
    ParseResult,
    ScanReport,
    Severity,
    VersionChange,
)
from checks.sbom.osv import OsvIndex, advisory_from_osv, advisory_severity, load_osv
from checks.sbom.parsers import detect_format, parse_manifest, split_manifest
from checks.sbom.scan import (
    differential_scan,
    findings_for_delta,
    full_scan,
    sbom_criticals,
    scan_components,
)

__all__ = [
    "Advisory",
    "Component",
    "Delta",
    "Finding",
    "LicenceChange",
    "OsvIndex",
    "ParseProblem",
    "ParseResult",
    "ScanReport",
    "Severity",
    "VersionChange",
    "advisory_from_osv",
    "advisory_severity",
    "delta",
    "detect_format",
    "diff_manifest",
    "differential_scan",
    "findings_for_delta",
    "full_scan",
    "load_osv",
    "parse_manifest",
    "sbom_criticals",
    "scan_components",
    "split_manifest",
]
