"""`maestro affected`, `maestro blast` and `maestro graph stats`: CodeGraph-360 on a local checkout.

All I/O lives here: files are read from git objects (`git ls-tree`, `git cat-file`, `git diff
--name-status`), never from the work tree, so uncommitted edits do not leak in. The base graph
is built in full, then updated incrementally to the head, exactly as the app does per push.

Exit status: 0 success; 2 a ref or the repository could not be read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import jinja2

from graph.affected import affected_targets
from graph.blast import BlastRadius, blast_radius
from graph.coverage import coverage
from graph.decision import decision_card, render_markdown
from graph.facts import reads_text
from graph.ids import kind_of
from graph.ingest import CodeGraph, build_graph, update

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
MAX_TEXT_BYTES = 2_000_000  # larger files are kept as paths only (generated code, bundles)


class GitError(Exception):
    """A git command failed; the message is git's own."""

    def __init__(self, message: str, returncode: int = 1) -> None:
        super().__init__(message)
        self.returncode = returncode


def _git(repo: str, *args: str, stdin: bytes | None = None) -> bytes:
    proc = subprocess.run(["git", "-C", repo, *args], input=stdin, capture_output=True)
    if proc.returncode != 0:
        message = proc.stderr.decode(errors="replace").strip() or f"git {args[0]} failed"
        raise GitError(message, proc.returncode)
    return proc.stdout


def _read_blobs(repo: str, shas: list[str]) -> list[str]:
    if not shas:
        return []
    out = _git(repo, "cat-file", "--batch", stdin=("\n".join(shas) + "\n").encode())
    texts: list[str] = []
    pos = 0
    for _ in shas:
        header_end = out.index(b"\n", pos)
        size = int(out[pos:header_end].split()[2])
        body = out[header_end + 1 : header_end + 1 + size]
        pos = header_end + 1 + size + 1
        if size > MAX_TEXT_BYTES or b"\0" in body[:8000]:
            texts.append("")
        else:
            texts.append(body.decode("utf-8", errors="replace"))
    return texts


def read_tree(repo: str, ref: str, only: set[str] | None = None) -> dict[str, str]:
    """path → text for every file at `ref` (or only the given paths)."""
    listing = _git(repo, "ls-tree", "-r", "-z", "--full-tree", ref)
    files: dict[str, str] = {}
    wanted: list[tuple[str, str]] = []
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, raw_path = entry.partition(b"\t")
        mode, kind, sha = meta.decode().split()
        path = raw_path.decode("utf-8", errors="replace")
        if kind != "blob" or (only is not None and path not in only):
            continue
        if mode != "120000" and reads_text(path):
            wanted.append((path, sha))
        else:
            files[path] = ""
    for (path, _), text in zip(wanted, _read_blobs(repo, [s for _, s in wanted]), strict=True):
        files[path] = text
    return dict(sorted(files.items()))


def changed_paths(repo: str, base: str, head: str) -> dict[str, str]:
    """path → git status letter (A, M, D, T …) between two commits, renames split."""
    out = _git(repo, "diff", "--name-status", "-z", "--no-renames", base, head)
    parts = [p.decode("utf-8", errors="replace") for p in out.split(b"\0") if p]
    return {parts[i + 1]: parts[i][0] for i in range(0, len(parts) - 1, 2)}


def merge_base(repo: str, base: str, head: str) -> str:
    """The commit `head` branched from `base` at (`git merge-base`), so that changes made on
    the base branch since then do not count as the head's. Without a common ancestor
    (unrelated histories) the base itself is used, and stderr says so."""
    try:
        return _git(repo, "merge-base", base, head).decode().strip()
    except GitError as exc:
        if exc.returncode != 1:  # 1 with no output: no common ancestor; else a bad ref
            raise
    print(f"maestro: {base} and {head} share no history; comparing them directly", file=sys.stderr)
    return base


@dataclass
class Analysis:
    base: CodeGraph
    head: CodeGraph
    changed: list[str]
    blast: BlastRadius
    merge_base: str


def analyse(repo: str, base: str, head: str, today: dt.date | None, depth: int | None) -> Analysis:
    """Blast radius of `head` against the merge base of `base` and `head` (like `nx affected`
    and GitHub's PR diff): the base graph is built at the merge base and updated to `head`."""
    base = merge_base(repo, base, head)
    status = changed_paths(repo, base, head)
    cg = build_graph(read_tree(repo, base))
    base_graph = cg.copy() if "D" in status.values() else None
    head_files = read_tree(repo, head, only={p for p, s in status.items() if s != "D"})
    update(cg, {p: (None if s == "D" else head_files.get(p, "")) for p, s in status.items()})
    if today is None:
        today = dt.date.fromisoformat(
            _git(repo, "show", "-s", "--format=%cs", head).decode().strip()
        )
    policy = cg.services.policy.risk
    if depth is not None:
        policy = policy.model_copy(update={"depth": depth})
    changed = sorted(status)
    blast = blast_radius(cg, changed, today, policy, base=base_graph)
    return Analysis(base_graph or cg, cg, changed, blast, base)


def _report_findings(cg: CodeGraph) -> None:
    for f in cg.findings:
        where = f"{f.path}:{f.line}" if f.line else f.path
        print(f"maestro: {where}: {f.code} {f.detail}".rstrip(), file=sys.stderr)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value}") from None


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--base", required=True, help="base git ref (e.g. origin/main)")
    p.add_argument("--head", default="HEAD", help="head git ref (default HEAD)")
    p.add_argument("--repo", default=".", help="repository path (default .)")
    p.add_argument("--depth", type=int, default=None, help="reverse-import hops (policy default)")
    p.add_argument(
        "--today", type=_date, default=None, help="evaluation date (default: head commit date)"
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    aff = subparsers.add_parser(
        "affected", help="build targets a change requires, as a GitHub Actions matrix (JSON)"
    )
    _common(aff)
    aff.add_argument("--indent", type=int, default=None, help="pretty-print the JSON")
    aff.set_defaults(func=run_affected)

    blast = subparsers.add_parser("blast", help="blast radius and Decision Card of a change")
    _common(blast)
    blast.add_argument("--format", choices=["markdown", "json"], default="markdown")
    blast.add_argument("--top", type=int, default=5, help="items shown before folding")
    blast.set_defaults(func=run_blast)

    graph = subparsers.add_parser("graph", help="CodeGraph-360 of a repository")
    sub = graph.add_subparsers(dest="graph_command", metavar="SUBCOMMAND")
    stats = sub.add_parser("stats", help="node/edge counts, link coverage and findings at a ref")
    stats.add_argument("--ref", default="HEAD")
    stats.add_argument("--repo", default=".")
    stats.set_defaults(func=run_stats)
    graph.set_defaults(func=lambda args: (graph.print_help(), 2)[1])


def run_affected(args: argparse.Namespace) -> int:
    try:
        result = analyse(args.repo, args.base, args.head, args.today, args.depth)
    except GitError as exc:
        print(f"maestro: {exc}", file=sys.stderr)
        return 2
    _report_findings(result.head)
    report = affected_targets(result.head.services, result.changed, result.blast)
    print(json.dumps(report.matrix(), indent=args.indent, sort_keys=False))
    return 0


def run_blast(args: argparse.Namespace) -> int:
    try:
        result = analyse(args.repo, args.base, args.head, args.today, args.depth)
    except GitError as exc:
        print(f"maestro: {exc}", file=sys.stderr)
        return 2
    _report_findings(result.head)
    card = decision_card(result.blast, top=max(1, args.top))
    if args.format == "json":
        print(card.model_dump_json(indent=2))
    else:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=False, keep_trailing_newline=True
        )
        sys.stdout.write(render_markdown(card, env))
    return 0


def run_stats(args: argparse.Namespace) -> int:
    try:
        cg = build_graph(read_tree(args.repo, args.ref))
    except GitError as exc:
        print(f"maestro: {exc}", file=sys.stderr)
        return 2
    _report_findings(cg)
    g = cg.graph
    cov = coverage(cg)
    out = {
        "files": len(cg.facts),
        "nodes": dict(sorted(Counter(kind_of(n) for n in g).items())),
        "edges": dict(sorted(Counter(d["kind"] for _, _, d in g.edges(data=True)).items())),
        "coverage": {
            "code_files": cov.code_files,
            "depth": cov.depth,
            "tested": cov.tested,
            "tested_directly": cov.tested_directly,
            "owned": cov.owned,
            "in_service": cov.in_service,
            "tested_share": round(cov.tested_share, 4),
            "owned_share": round(cov.owned_share, 4),
            "service_share": round(cov.service_share, 4),
            "untested": cov.untested,
            "unowned": cov.unowned,
            "unserviced": cov.unserviced,
        },
        "findings": len(cg.findings),
    }
    print(json.dumps(out, indent=2))
    return 0
