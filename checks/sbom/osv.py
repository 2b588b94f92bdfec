"""Offline OSV advisories: loading records from disk and an in-memory index.

`load_osv(path)` reads a directory of OSV JSON (and YAML, as the PyPA advisory database
keeps them) records, a single record, or the per-ecosystem `all.zip` archives that OSV
publishes (also inside a directory). `OsvIndex` indexes the affected packages by
(ecosystem, normalised name) — PEP 503 names for PyPI — and matches components.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

from checks.sbom.cvss import CvssError, rating, score_v3, score_v4
from checks.sbom.ecosystems import base_ecosystem, normalise_name
from checks.sbom.models import (
    Advisory,
    Component,
    Finding,
    OsvAffected,
    OsvEvent,
    OsvRange,
    ParseProblem,
    Severity,
    SeverityRating,
)
from checks.sbom.versions import affected_match, lowest

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RECORD_SUFFIXES = (".json", ".yaml", ".yml")
_EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")


class OsvRecordError(ValueError):
    pass


def advisory_from_osv(doc: Any, source: str = "") -> Advisory:
    """An `Advisory` from one decoded OSV record; OsvRecordError if it is not one."""
    if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
        raise OsvRecordError("not an OSV record (no 'id')")
    affected: list[OsvAffected] = []
    for aff in doc.get("affected", []) or []:
        if not isinstance(aff, dict):
            continue
        pkg = aff.get("package") or {}
        if not isinstance(pkg, dict) or not pkg.get("ecosystem") or not pkg.get("name"):
            continue
        ranges: list[OsvRange] = []
        for rng in aff.get("ranges", []) or []:
            if not isinstance(rng, dict):
                continue
            events: list[OsvEvent] = []
            for ev in rng.get("events", []) or []:
                if isinstance(ev, dict):
                    for kind in _EVENT_KINDS:
                        if kind in ev and ev[kind] is not None:
                            events.append(OsvEvent(kind=kind, value=str(ev[kind])))
            ranges.append(
                OsvRange(type=str(rng.get("type", "")), events=events, repo=rng.get("repo"))
            )
        affected.append(
            OsvAffected(
                ecosystem=str(pkg["ecosystem"]),
                name=str(pkg["name"]),
                purl=pkg.get("purl"),
                ranges=ranges,
                versions=[str(v) for v in aff.get("versions", []) or []],
                severity=[s for s in aff.get("severity", []) or [] if isinstance(s, dict)],
                database_specific=aff.get("database_specific") or {},
            )
        )
    return Advisory(
        id=doc["id"],
        summary=str(doc.get("summary") or ""),
        details=str(doc.get("details") or ""),
        aliases=[str(a) for a in doc.get("aliases", []) or []],
        modified=str(doc.get("modified") or ""),
        published=str(doc.get("published") or ""),
        withdrawn=doc.get("withdrawn"),
        severity=[s for s in doc.get("severity", []) or [] if isinstance(s, dict)],
        affected=affected,
        database_specific=doc.get("database_specific") or {},
        source=source,
    )


def _decode(name: str, data: bytes) -> Any:
    if name.endswith(".json"):
        return json.loads(data)
    return yaml.load(data, Loader=_Loader)


def iter_osv(
    path: str | os.PathLike[str], problems: list[ParseProblem] | None = None
) -> Iterator[Advisory]:
    """Advisories under `path` (directory, record file or zip); bad records become problems."""
    p = Path(path)
    files: Iterable[Path] = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
    for f in files:
        name = f.name.lower()
        if name.endswith(".zip"):
            yield from _iter_zip(f, problems)
        elif name.endswith(_RECORD_SUFFIXES):
            yield from _one(str(f), name, f.read_bytes(), problems)


def _iter_zip(path: Path, problems: list[ParseProblem] | None) -> Iterator[Advisory]:
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                lname = info.filename.lower()
                if info.is_dir() or not lname.endswith(_RECORD_SUFFIXES):
                    continue
                yield from _one(f"{path}!{info.filename}", lname, zf.read(info), problems)
    except zipfile.BadZipFile as exc:
        if problems is not None:
            problems.append(ParseProblem(file=str(path), message=f"bad zip: {exc}", format="osv"))


def _one(
    source: str, name: str, data: bytes, problems: list[ParseProblem] | None
) -> Iterator[Advisory]:
    try:
        doc = _decode(name, data)
        docs = doc if isinstance(doc, list) else [doc]
        for d in docs:
            yield advisory_from_osv(d, source)
    except (ValueError, yaml.YAMLError, OsvRecordError, TypeError) as exc:
        if problems is not None and not name.endswith("schema.json"):
            problems.append(ParseProblem(file=source, message=str(exc)[:300], format="osv"))


def load_osv(path: str | os.PathLike[str]) -> list[Advisory]:
    """All OSV advisories found at `path` (directory, single record, or OSV `all.zip`).
    Files that are not OSV records (e.g. the OSV JSON schema) are skipped."""
    return list(iter_osv(path))


# --- severity ---------------------------------------------------------------------------

_LABELS = {
    "LOW": Severity.LOW,
    "MODERATE": Severity.MEDIUM,
    "MEDIUM": Severity.MEDIUM,
    "HIGH": Severity.HIGH,
    "CRITICAL": Severity.CRITICAL,
}


def advisory_severity(adv: Advisory, affected: OsvAffected | None = None) -> SeverityRating:
    """Severity from the CVSS vectors (computed), else the database's own label."""
    entries = list(affected.severity if affected else []) + list(adv.severity)
    if affected is not None and isinstance(affected.database_specific.get("cvss"), str):
        entries.append({"type": "CVSS_V3", "score": affected.database_specific["cvss"]})
    best: tuple[float, str, str] | None = None
    for kind in ("CVSS_V4", "CVSS_V3"):
        for entry in entries:
            vector = entry.get("score")
            if entry.get("type") != kind or not isinstance(vector, str):
                continue
            try:
                score = score_v4(vector) if kind == "CVSS_V4" else score_v3(vector)
            except CvssError:
                continue
            if best is None or score > best[0]:
                best = (
                    score,
                    vector,
                    "cvss_v4_computed" if kind == "CVSS_V4" else "cvss_v3_computed",
                )
        if best is not None:
            break
    if best is not None:
        return SeverityRating(
            severity=rating(best[0]), score=best[0], vector=best[1], source=best[2]
        )
    label = None
    for spec in (affected.database_specific if affected else {}, adv.database_specific):
        if isinstance(spec.get("severity"), str):
            label = spec["severity"].upper()
            break
    if label in _LABELS:
        return SeverityRating(severity=_LABELS[label], source="database_specific")
    return SeverityRating(severity=Severity.UNKNOWN, source="none")


# --- index ------------------------------------------------------------------------------


class OsvIndex:
    """Advisories by (ecosystem, normalised package name); withdrawn records are left out."""

    def __init__(self, advisories: Iterable[Advisory] = ()) -> None:
        self._by_key: dict[tuple[str, str], list[tuple[Advisory, OsvAffected]]] = {}
        self._severity: dict[tuple[str, int], SeverityRating] = {}
        self.count = 0
        for adv in advisories:
            self.add(adv)

    def add(self, adv: Advisory) -> None:
        if adv.withdrawn:
            return
        self.count += 1
        for aff in adv.affected:
            eco = base_ecosystem(aff.ecosystem)
            key = (eco, normalise_name(eco, aff.name))
            self._by_key.setdefault(key, []).append((adv, aff))

    def __len__(self) -> int:
        return self.count

    @property
    def packages(self) -> int:
        return len(self._by_key)

    def lookup(self, ecosystem: str, name: str) -> list[tuple[Advisory, OsvAffected]]:
        eco = base_ecosystem(ecosystem)
        return self._by_key.get((eco, normalise_name(eco, name)), [])

    def severity(self, adv: Advisory, aff: OsvAffected) -> SeverityRating:
        key = (adv.id, id(aff))
        got = self._severity.get(key)
        if got is None:
            got = self._severity[key] = advisory_severity(adv, aff)
        return got

    def match(self, comp: Component) -> list[Finding]:
        """Findings for one component (one per advisory, with the first fixed version)."""
        if not comp.ecosystem or not comp.version:
            return []
        candidates = self.lookup(comp.ecosystem, comp.name)
        if not candidates:
            return []
        hits: dict[str, tuple[Advisory, OsvAffected, list[str]]] = {}
        for adv, aff in candidates:
            is_hit, fixed = affected_match(comp.version, aff, comp.ecosystem)
            if not is_hit:
                continue
            entry = hits.setdefault(adv.id, (adv, aff, []))
            if fixed:
                entry[2].append(fixed)
        findings: list[Finding] = []
        for adv, aff, fixes in hits.values():
            sev = self.severity(adv, aff)
            findings.append(
                Finding(
                    id=adv.id,
                    aliases=adv.aliases,
                    package=comp.name,
                    version=comp.version,
                    ecosystem=comp.ecosystem,
                    purl=comp.purl,
                    severity=sev.severity,
                    score=sev.score,
                    vector=sev.vector,
                    severity_source=sev.source,
                    summary=adv.summary or adv.details.split("\n", 1)[0][:200],
                    fixed=lowest(fixes, comp.ecosystem),
                    file=comp.file,
                    line=comp.line,
                    direct=comp.direct,
                )
            )
        return findings
