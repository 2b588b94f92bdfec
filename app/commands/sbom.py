"""`maestro sbom diff OLD NEW` and `maestro sbom scan PATH...`: the SBOM engine on local files.

`scan` takes files and directories (searched for manifests, see `sbom_files.discover`): by
default each file is diffed against its version at `--base` (a git revision); `--full` scans
every component of the whole set. `-r` includes and the manifests next to a lockfile are read
from disk for the new side and from OLD's folder or the git revision for the old side.

Exit status: 0 nothing blocks; 1 blocking advisories (critical, or high with --block-high);
2 a file could not be read or parsed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from app.commands.sbom_files import GitRevision, discover, disk_resolver
from checks.sbom import (
    Delta,
    OsvIndex,
    ScanReport,
    differential_scan,
    full_scan,
    sbom_criticals,
)
from checks.sbom.osv import iter_osv
from checks.sbom.parsers import FORMATS

FORMAT_CHOICES = ["text", "json", "markdown"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sbom", help="dependency delta and offline advisory scan of lockfiles and SBOMs"
    )
    sub = parser.add_subparsers(dest="sbom_command", metavar="SUBCOMMAND")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--format", choices=FORMAT_CHOICES, default="text")
        p.add_argument(
            "--osv-dir",
            default=None,
            help="OSV records (JSON/YAML files or OSV all.zip); default $MAESTRO_OSV_DIR",
        )
        p.add_argument("--block-high", action="store_true", help="high advisories block too")
        p.add_argument(
            "--as", dest="fmt", choices=sorted(FORMATS), default=None, help="force the file format"
        )

    diff = sub.add_parser(
        "diff", help="delta between two versions of a manifest, and its advisories"
    )
    diff.add_argument("old", help="base version of the file")
    diff.add_argument("new", help="head version of the file")
    diff.add_argument("--full", action="store_true", help="scan every component of NEW")
    common(diff)
    diff.set_defaults(func=run_diff)

    scan = sub.add_parser(
        "scan",
        help="advisories in manifests: what changed since --base (a git ref), or --full",
    )
    scan.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="lockfiles, manifests or SBOMs, or directories to search for them",
    )
    scan.add_argument(
        "--full", action="store_true", help="scan every component of every manifest found"
    )
    scan.add_argument("--base", default="HEAD", help="git revision to diff against (default HEAD)")
    common(scan)
    scan.set_defaults(func=run_scan)
    parser.set_defaults(func=lambda _a: (parser.print_help(), 2)[1])


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        print(f"maestro sbom: cannot read {path}: {exc.strerror}", file=sys.stderr)
        raise SystemExit(2) from None


def load_index(osv_dir: str | None) -> tuple[OsvIndex | None, list[str]]:
    path = osv_dir or os.environ.get("MAESTRO_OSV_DIR")
    if not path:
        return None, ["no OSV database given (--osv-dir or MAESTRO_OSV_DIR): delta only"]
    if not Path(path).exists():
        print(f"maestro sbom: OSV path {path} does not exist", file=sys.stderr)
        raise SystemExit(2)
    problems: list[Any] = []
    index = OsvIndex(iter_osv(path, problems))
    notes = [f"{len(problems)} OSV file(s) could not be read"] if problems else []
    return index, notes


def run_diff(args: argparse.Namespace) -> int:
    index, notes = load_index(args.osv_dir)
    old, new = _read(args.old), _read(args.new)
    name = args.new
    report = differential_scan(
        {name: (old, new)},
        index or OsvIndex(),
        fmt=args.fmt,
        resolve=disk_resolver(),
        base_resolve=disk_resolver(anchor=args.new, real=args.old),
    )
    if args.full:
        full = full_scan({name: new}, index or OsvIndex(), fmt=args.fmt, resolve=disk_resolver())
        report.mode, report.findings, report.scanned = "full", full.findings, full.scanned
    return _emit(report, index, notes, args)


def run_scan(args: argparse.Namespace) -> int:
    index, notes = load_index(args.osv_dir)
    files = discover(args.paths)
    if not files:
        print("maestro sbom: no lockfile, manifest or SBOM found", file=sys.stderr)
        return 2
    heads = {f: _read(f) for f in files}
    if args.full:
        report = full_scan(heads, index or OsvIndex(), fmt=args.fmt, resolve=disk_resolver())
        return _emit(report, index, notes, args)
    git = GitRevision(args.base)
    pairs: dict[str, tuple[bytes | None, bytes]] = {}
    for f, head in heads.items():
        base = git.read(f)
        if base is None:
            notes.append(f"no version of {f} at {args.base}: every component is new")
        pairs[f] = (base, head)
    report = differential_scan(
        pairs,
        index or OsvIndex(),
        fmt=args.fmt,
        resolve=disk_resolver(),
        base_resolve=git.resolver(),
    )
    return _emit(report, index, notes, args)


def _finding_json(f: Any) -> dict[str, Any]:
    d = f.model_dump(mode="json")
    return d


def _emit(
    report: ScanReport, index: OsvIndex | None, notes: list[str], args: argparse.Namespace
) -> int:
    report.notes.extend(notes)
    criticals = sbom_criticals(report.findings, block_high=args.block_high)
    if args.format == "json":
        doc = {
            "mode": report.mode,
            "criticals": criticals,
            "block_high": args.block_high,
            "scanned": report.scanned,
            "advisories_loaded": report.advisories_loaded if index else 0,
            "deltas": [_delta_json(d) for d in report.deltas],
            "findings": [_finding_json(f) for f in report.findings],
            "problems": [p.model_dump(mode="json") for p in report.problems],
            "notes": report.notes,
        }
        print(json.dumps(doc, indent=2))
    elif args.format == "markdown":
        from app.render import markdown_env

        print(
            markdown_env()
            .get_template("sbom_delta.md.j2")
            .render(
                deltas=report.deltas,
                findings=report.findings,
                criticals=criticals,
                block_high=args.block_high,
                fold_after=10,
            )
        )
    else:
        _print_text(report, criticals, args.block_high)
    if criticals:
        return 1
    return 2 if report.problems else 0


def _delta_json(d: Delta) -> dict[str, Any]:
    def comp(c: Any) -> dict[str, Any]:
        return {
            "name": c.name,
            "version": c.version,
            "ecosystem": c.ecosystem,
            "purl": c.purl,
            "line": c.line,
            "direct": c.direct,
            "licence": c.licence,
        }

    return {
        "manifest": d.manifest,
        "added": [comp(c) for c in d.added],
        "removed": [comp(c) for c in d.removed],
        "upgraded": [
            {
                "name": u.name,
                "ecosystem": u.ecosystem,
                "from": u.old.version,
                "to": u.new.version,
                "line": u.new.line,
            }
            for u in d.upgraded
        ],
        "downgraded": [
            {
                "name": u.name,
                "ecosystem": u.ecosystem,
                "from": u.old.version,
                "to": u.new.version,
                "line": u.new.line,
            }
            for u in d.downgraded
        ],
        "licence_changes": [
            {"name": lc.name, "version": lc.version, "from": lc.old_licence, "to": lc.new_licence}
            for lc in d.licence_changes
        ],
    }


def _print_text(report: ScanReport, criticals: int, block_high: bool) -> None:
    out = sys.stdout.write
    for d in report.deltas:
        out(
            f"{d.manifest}: {len(d.added)} added, {len(d.removed)} removed, "
            f"{len(d.upgraded)} upgraded, {len(d.downgraded)} downgraded, "
            f"{len(d.licence_changes)} licence changes\n"
        )
        for c in d.added:
            out(f"  + {c.name} {c.version or '(unpinned)'}  line {c.line}\n")
        for u in d.upgraded:
            out(f"  ^ {u.name} {u.old.version} -> {u.new.version}  line {u.new.line}\n")
        for u in d.downgraded:
            out(f"  v {u.name} {u.old.version} -> {u.new.version}  line {u.new.line}\n")
        for c in d.removed:
            out(f"  - {c.name} {c.version}\n")
        for lc in d.licence_changes:
            out(f"  licence {lc.name} {lc.version}: {lc.old_licence} -> {lc.new_licence}\n")
    blocking = "critical or high" if block_high else "critical"
    out(
        f"{report.mode} scan: {report.scanned} component(s) checked, "
        f"{len(report.findings)} advisory finding(s), {criticals} blocking ({blocking})\n"
    )
    for f in report.findings:
        score = f" {f.score:.1f}" if f.score is not None else ""
        fixed = f"fixed in {f.fixed}" if f.fixed else "no fixed version"
        where = f"{f.file}:{f.line}" if f.line else f.file
        sev = f.severity.value.upper()
        out(f"  {sev}{score} {f.id} {f.package} {f.version} ({fixed}) {where}\n")
        if f.summary:
            out(f"      {f.summary}\n")
    for p in report.problems:
        where = f"{p.file}:{p.line}" if p.line else p.file
        side = " (base version)" if p.side == "base" else ""
        out(f"  problem{side}: {where}: {p.message}\n")
    for n in report.notes:
        out(f"  note: {n}\n")
