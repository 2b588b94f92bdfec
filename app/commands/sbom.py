"""`maestro sbom diff OLD NEW` and `maestro sbom scan FILE`: the SBOM engine on local files.

Exit status: 0 nothing blocks; 1 blocking advisories (critical, or high with --block-high);
2 a file could not be read or parsed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
        help="advisories in a manifest: what changed since --base (a git ref), or --full",
    )
    scan.add_argument("file")
    scan.add_argument("--full", action="store_true", help="scan every component")
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


def _resolver(base_dir: Path) -> Callable[[str, str], bytes | None]:
    def resolve(target: str, including: str) -> bytes | None:
        path = (base_dir / Path(including).parent / target).resolve()
        try:
            return path.read_bytes()
        except OSError:
            return None

    return resolve


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
        {name: (old, new)}, index or OsvIndex(), fmt=args.fmt, resolve=_resolver(Path.cwd())
    )
    if args.full:
        full = full_scan(
            {name: new}, index or OsvIndex(), fmt=args.fmt, resolve=_resolver(Path.cwd())
        )
        report.mode, report.findings, report.scanned = "full", full.findings, full.scanned
    return _emit(report, index, notes, args)


def _git_base(path: str, rev: str) -> bytes | None:
    p = Path(path).resolve()
    try:
        top = subprocess.run(
            ["git", "-C", str(p.parent), "rev-parse", "--show-toplevel"],
            capture_output=True,
            check=True,
            text=True,
        ).stdout.strip()
        rel = p.relative_to(Path(top).resolve()).as_posix()
        return subprocess.run(
            ["git", "-C", top, "show", f"{rev}:{rel}"], capture_output=True, check=True
        ).stdout
    except (OSError, ValueError, subprocess.CalledProcessError):
        return None


def run_scan(args: argparse.Namespace) -> int:
    index, notes = load_index(args.osv_dir)
    head = _read(args.file)
    resolve = _resolver(Path.cwd())
    if args.full:
        report = full_scan({args.file: head}, index or OsvIndex(), fmt=args.fmt, resolve=resolve)
    else:
        base = _git_base(args.file, args.base)
        if base is None:
            notes.append(f"no version of {args.file} at {args.base}: every component is new")
        report = differential_scan(
            {args.file: (base, head)}, index or OsvIndex(), fmt=args.fmt, resolve=resolve
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
        out(f"  problem: {where}: {p.message}\n")
    for n in report.notes:
        out(f"  note: {n}\n")
