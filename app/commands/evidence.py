"""`maestro evidence`: build the `maestro-evidence` obligations JSON locally from the same reports
CI would upload (coverage, diff, mutation, benchmark), print what was measured and, with
`--policy`, which obligations the local policy would fail. Thin: the work is in checks/evidence.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from checks.evidence.artifact import collect_evidence, evidence_document
from checks.evidence.diff import DiffResult, parse_unified_diff
from checks.evidence.model import Evidence
from checks.explain import policy_problem_sentence, problem_sentence, sentence
from checks.obligations.schema import obligation_schema, validate_obligations
from checks.policy.parse import PolicyError, parse_policy
from checks.policy.resolve import resolve


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "evidence",
        help="build the maestro-evidence obligations JSON from local reports",
        description=(
            "Build the obligations JSON (docs/evidence.md) from coverage, diff, mutation and "
            "benchmark reports. Exit 1 when a report is malformed (or, with --policy, when an "
            "obligation would fail), 2 on usage errors."
        ),
    )
    p.add_argument(
        "--coverage",
        action="append",
        default=[],
        metavar="FILE",
        help="Cobertura XML (coverage.xml) or LCOV (lcov.info); repeatable",
    )
    p.add_argument(
        "--diff",
        metavar="BASE..HEAD",
        help="git range whose added lines patch coverage is measured on",
    )
    p.add_argument("--diff-file", metavar="FILE", help="a unified diff instead of --diff")
    p.add_argument(
        "--mutation",
        action="append",
        default=[],
        metavar="FILE",
        help="mutmut (cicd stats JSON / junitxml) or Stryker JSON; repeatable",
    )
    p.add_argument(
        "--benchmark",
        action="append",
        default=[],
        metavar="FILE",
        help="pytest-benchmark --benchmark-json output; repeatable",
    )
    p.add_argument(
        "--invariant",
        action="append",
        default=[],
        metavar="NAME",
        help="a named invariant this change declares it must satisfy; repeatable",
    )
    p.add_argument("--repo", default=".", metavar="PATH", help="git checkout for --diff")
    p.add_argument(
        "--policy",
        metavar="FILE",
        help="check the result against this policy (e.g. .github/maestro.yml)",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write the JSON here (default stdout)")
    p.set_defaults(func=run)


class _UsageError(Exception):
    pass


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise _UsageError(f"cannot read {path}: {exc.strerror}") from None


def _git(repo: str, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", repo, *args], capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise _UsageError(f"cannot run git: {exc.strerror}") from None
    if done.returncode != 0:
        raise _UsageError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def _diff(args: argparse.Namespace) -> tuple[DiffResult | None, str, str | None]:
    if args.diff_file:
        return parse_unified_diff(_read(args.diff_file), args.diff_file), args.diff_file, None
    if not args.diff:
        return None, "", None
    text = _git(args.repo, "diff", "--no-color", "--no-ext-diff", "-M", args.diff)
    head = args.diff.split("..")[-1].lstrip(".") or "HEAD"
    commit = _git(args.repo, "rev-parse", "--verify", "--quiet", head + "^{commit}").strip()
    return parse_unified_diff(text, f"git diff {args.diff}"), f"git diff {args.diff}", commit


def _build(args: argparse.Namespace) -> tuple[Evidence, list[str]]:
    files = {path: _read(path) for path in [*args.coverage, *args.mutation, *args.benchmark]}
    if not files:
        raise _UsageError("give at least one of --coverage, --mutation, --benchmark")
    diff, diff_source, commit = _diff(args)
    evidence = collect_evidence(files, diff, diff_source)
    if diff is not None:
        evidence.problems[:0] = diff.problems
    evidence.invariants = sorted(set(args.invariant))
    evidence.commit = commit
    return evidence, sorted(diff.files) if diff else []


def _check_policy(args: argparse.Namespace, doc: dict[str, object], diff_paths: list[str]) -> int:
    policy = parse_policy(_read(args.policy).decode("utf-8", errors="replace"), args.policy)
    if isinstance(policy, PolicyError):
        for problem in policy.problems:
            print(policy_problem_sentence(problem), file=sys.stderr)
        return 1
    effective = resolve(policy, diff_paths)
    thresholds = {k: e.threshold for k, e in effective.items() if e.required}
    problems = [
        p
        for p in validate_obligations(doc, obligation_schema(thresholds, require_all=False))
        if p.key in thresholds
    ]
    for p in problems:
        print(f"would fail: {sentence(p)}", file=sys.stderr)
    return 1 if problems else 0


def run(args: argparse.Namespace) -> int:
    try:
        evidence, diff_paths = _build(args)
    except _UsageError as exc:
        print(f"maestro evidence: {exc}", file=sys.stderr)
        return 2
    doc = evidence_document(evidence)
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    for key, m in evidence.measurements.items():
        print(f"{key}: {m.value} from {m.source}", file=sys.stderr)
    for key, reason in evidence.empty.items():
        print(f"{key}: no value ({reason.replace('_', ' ')})", file=sys.stderr)
    for problem in evidence.problems:
        print(problem_sentence(problem), file=sys.stderr)
    code = 1 if evidence.problems else 0
    if args.policy:
        try:
            code = max(code, _check_policy(args, doc, diff_paths))
        except _UsageError as exc:
            print(f"maestro evidence: {exc}", file=sys.stderr)
            return 2
    return code
