"""`maestro pii`: scan files or a git diff for secrets and personal data; retrain the filter.

    maestro pii scan PATH [PATH ...] [--format text|json] [--policy FILE]
    maestro pii scan --diff BASE..HEAD [--format text|json] [--policy FILE]
    maestro pii train [--seed N] [--model-only]

Exit codes: 0 no blocking finding, 1 blocking findings, 2 usage or input error. The command
reads files and runs `git diff`; everything else happens in `checks.pii`. Output carries
masked excerpts only: a raw value is never printed, not even in error messages.

The policy's `pii.allow_paths` apply as they do on the Proof Card: `--policy FILE`, else
`.github/maestro.yml` at BASE for `--diff` (the app reads it from the base branch too), else
the one at the root of the repository holding the first PATH (the nearest folder up with
`.git` or `.github/maestro.yml`). Globs are matched against paths relative to that root.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from app.local_change import LocalChangeError, file_at
from checks.pii.model import ModelError
from checks.pii.models import Finding, PiiConfig, ScanReport
from checks.pii.scanner import scan_diff, scan_text
from checks.policy.parse import MAX_POLICY_BYTES, POLICY_PATH, PolicyError, parse_policy

SKIP_DIRS = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache"})
MAX_FILE_BYTES = 2_000_000


def register(subparsers: Any) -> None:
    pii = subparsers.add_parser("pii", help="detect secrets and personal data")
    sub = pii.add_subparsers(dest="pii_command", metavar="SUBCOMMAND")

    scan = sub.add_parser("scan", help="scan files, directories or a git diff")
    scan.add_argument("paths", nargs="*", help="files or directories to scan")
    scan.add_argument("--diff", metavar="BASE..HEAD", help="scan only lines this range adds")
    scan.add_argument("--format", choices=("text", "json"), default="text")
    scan.add_argument(
        "--allow-path", action="append", default=[], metavar="GLOB", help="allow-list a path glob"
    )
    scan.add_argument("--no-model", action="store_true", help="regex and validators only")
    scan.add_argument("--repo", default=".", help="git repository for --diff (default: .)")
    scan.add_argument(
        "--policy",
        metavar="FILE",
        help="policy file whose pii.allow_paths apply (default: the repository's "
        ".github/maestro.yml)",
    )
    scan.set_defaults(func=_scan)

    train = sub.add_parser("train", help="regenerate the labelled corpus and retrain the model")
    train.add_argument("--seed", type=int, default=None)
    train.add_argument(
        "--model-only", action="store_true", help="retrain from the shipped corpus only"
    )
    train.set_defaults(func=_train)
    pii.set_defaults(func=lambda _args: _usage(pii))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _error(message: str) -> int:
    print(f"maestro pii: {message}", file=sys.stderr)
    return 2


def _iter_files(paths: list[str]) -> tuple[list[Path], list[str]]:
    files: list[Path] = []
    missing: list[str] = []
    for raw in paths:
        p = Path(raw)
        if p.is_file():
            files.append(p)
        elif p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and not SKIP_DIRS.intersection(f.relative_to(p).parts[:-1]):
                    files.append(f)
        else:
            missing.append(raw)
    return files, missing


def _read_text(path: Path) -> str | None:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:8192]:
        return None  # binary
    return data.decode("utf-8", errors="replace")


def _git_diff(repo: str, rng: str) -> str:
    if ".." not in rng or rng.startswith("-"):
        raise ValueError("--diff expects BASE..HEAD")
    proc = subprocess.run(
        ["git", "-C", repo, "diff", "--no-color", "--no-ext-diff", "--no-renames", rng, "--"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        check=False,
    )
    if proc.returncode != 0:
        first = (proc.stderr.strip().splitlines() or ["git diff failed"])[0]
        raise ValueError(f"git diff {rng} failed: {first}")
    return proc.stdout


def repo_root(start: Path) -> Path | None:
    """The nearest folder at or above `start` holding `.git` or the policy file."""
    here = start.resolve()
    if not here.is_dir():
        here = here.parent
    for folder in (here, *here.parents):
        if (folder / ".git").exists() or (folder / POLICY_PATH).is_file():
            return folder
    return None


def _policy(args: argparse.Namespace, root: Path | None) -> tuple[list[str], str]:
    """(allow-path globs from the policy, where the policy came from: '' for none)."""
    if args.policy:
        try:
            text: str | None = Path(args.policy).read_text("utf-8", errors="replace")
        except OSError as exc:
            raise ValueError(f"cannot read --policy {args.policy}: {exc.strerror}") from None
        source = args.policy
    elif args.diff:
        base = args.diff.split("..", 1)[0]
        raw = file_at(args.repo, base or "HEAD", POLICY_PATH)
        text = None if raw is None else raw.decode("utf-8", errors="replace")
        source = f"{POLICY_PATH} at {base}"
    else:
        file = root / POLICY_PATH if root is not None else None
        text = file.read_text("utf-8", errors="replace") if file and file.is_file() else None
        source = str(file)
    if text is None:
        return [], ""
    policy = parse_policy(text[: MAX_POLICY_BYTES + 1], source)
    if isinstance(policy, PolicyError):
        first = policy.problems[0]
        where = f"{source}:{first.line}" if first.line else source
        raise ValueError(f"invalid policy {where}: {first.message}")
    return list(policy.pii.allow_paths), source


def _relative(path: Path, root: Path | None) -> str | None:
    if root is None:
        return None
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return None


def _finding_json(f: Finding) -> dict[str, Any]:
    data = f.model_dump(mode="json")
    data["blocking"] = f.blocking
    return data


def _print_text(report: ScanReport, policy_source: str) -> None:
    for f in report.findings:
        state = "BLOCK" if f.blocking else ("allowed" if f.allowed else "info")
        print(
            f"{f.path}:{f.line}:{f.col_start + 1}: {state} {f.type.value} "
            f"(rule {f.rule}, score {f.score:.2f}, threshold {f.threshold:.2f})"
        )
        print(f"    {f.excerpt}")
        if f.allowed is not None:
            print(f"    allowed by {f.allowed.source.value}: {f.allowed.reason}")
        elif f.info is not None:
            print(f"    not blocking: {f.info}")
        elif f.redaction is not None:
            print(f"    suggestion ({f.redaction.strategy}): {f.redaction.replacement.strip()}")
    for p in report.problems:
        print(f"{p.path or '<diff>'}: diff line {p.diff_line}: {p.reason}", file=sys.stderr)
    blocking = len(report.blocking)
    print(
        f"{len(report.findings)} finding(s), {blocking} blocking, {len(report.allowed)} allowed; "
        f"{report.files_scanned} file(s), {report.lines_scanned} line(s) scanned"
        + (f"; policy {policy_source}" if policy_source else "")
    )


def _scan(args: argparse.Namespace) -> int:
    if bool(args.diff) == bool(args.paths):
        return _error("give PATH(s) or --diff BASE..HEAD (one of the two)")
    try:
        root = None if args.diff else repo_root(Path(args.paths[0]))
        policy_globs, policy_source = _policy(args, root)
        config = PiiConfig(
            allow_paths=[*policy_globs, *args.allow_path], use_model=not args.no_model
        )
        if args.diff:
            report = scan_diff(_git_diff(args.repo, args.diff), config)
        else:
            files, missing = _iter_files(args.paths)
            if missing:
                return _error(f"no such file or directory: {', '.join(missing)}")
            report = ScanReport()
            for path in files:
                text = _read_text(path)
                if text is None:
                    continue
                part = scan_text(path.as_posix(), text, config, glob_path=_relative(path, root))
                report.findings.extend(part.findings)
                report.suppressed += part.suppressed
                report.files_scanned += 1
                report.lines_scanned += part.lines_scanned
    except (ValueError, ModelError, LocalChangeError) as exc:
        return _error(str(exc))
    if args.format == "json":
        print(json.dumps([_finding_json(f) for f in report.findings], indent=2))
    else:
        _print_text(report, policy_source)
    return 1 if report.blocking else 0


def _train(args: argparse.Namespace) -> int:
    from checks.pii.training.build import DEFAULT_SEED, regenerate_corpus, retrain_model

    seed = DEFAULT_SEED if args.seed is None else args.seed
    if not args.model_only:
        manifest = regenerate_corpus(seed)
        for split, counts in manifest["splits"].items():
            print(
                f"{split}: {counts['negatives_hard']} hard + {counts['negatives_easy']} easy "
                f"negative lines, {counts['positives']} positives"
            )
    model = retrain_model(seed)
    print(f"model {model.version}: thresholds {json.dumps(model.thresholds, sort_keys=True)}")
    return 0
