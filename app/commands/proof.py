"""`maestro proof --base REF --head REF`: the Proof Card of a local change, without GitHub.

The change is what a pull request from HEAD into BASE would show (`git diff BASE...HEAD`, from
the merge base); the policy is `.github/maestro.yml` at BASE, so a change cannot loosen its own
gate. The engine is the GitHub App's (`app/local_proof.py`). Output: a terminal table (rich),
`--format markdown` (the check-run summary) or `--format json` (the card model).

Exit status: 0 the gate passes or only waits for evidence; 1 the gate would block (a failing
obligation, an invalid policy; with `--strict` also evidence still pending); 2 usage errors
(unknown ref, not a git repository, unreadable report).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import TYPE_CHECKING, Any

from checks.explain import card_title, problem_sentence, sentence
from checks.proofcard import Conclusion, ObligationResult, ObligationStatus

if TYPE_CHECKING:  # the engine and rich load when the command runs, not with every `maestro`
    from rich.console import Console

    from app.local_proof import LocalOptions, LocalProof

STYLES = {
    "passed": "green",
    "failed": "bold red",
    "pending": "yellow",
    "waived": "magenta",
    "not_required": "dim",
}
CONCLUSION_STYLES = {"success": "bold green", "failure": "bold red", "neutral": "bold yellow"}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "proof",
        help="the Proof Card of a local change (no GitHub); exit 1 when the gate would block",
        description=(
            "Run the Proof Card engine on `git diff BASE...HEAD` of a local checkout under the "
            "policy at BASE and print the card. Exit 0 when the gate passes or only waits for "
            "evidence, 1 when it would block (with --strict also when evidence is pending), "
            "2 on usage errors."
        ),
    )
    p.add_argument("--base", required=True, help="base ref: the branch the change would merge into")
    p.add_argument("--head", default="HEAD", help="head ref (default HEAD)")
    p.add_argument("--repo", default=".", metavar="PATH", help="git checkout (default .)")
    p.add_argument(
        "--format",
        choices=["table", "markdown", "json"],
        default="table",
        help="table (terminal), markdown (the check-run summary) or json (the card model)",
    )
    p.add_argument(
        "--evidence",
        action="append",
        default=[],
        metavar="PATH",
        help="the maestro-evidence artifact: an obligations JSON or report, a directory or a "
        ".zip; repeatable",
    )
    for flag, what in (
        ("--coverage", "Cobertura XML or LCOV"),
        ("--mutation", "mutmut or Stryker report"),
        ("--benchmark", "pytest-benchmark JSON"),
    ):
        p.add_argument(
            flag, action="append", default=[], metavar="FILE", help=f"{what}; repeatable"
        )
    p.add_argument(
        "--osv-dir",
        default=None,
        metavar="PATH",
        help="offline OSV database for the SBOM delta (default $MAESTRO_OSV_DIR, else the "
        "index `maestro osv import` stored in the app's database, if any)",
    )
    p.add_argument("--depth", type=int, default=None, help="reverse-import hops (policy default)")
    p.add_argument("--top", type=int, default=5, help="Decision Card items shown before folding")
    p.add_argument(
        "--strict", action="store_true", help="exit 1 also while an obligation is pending"
    )
    p.set_defaults(func=run)


def _database_url() -> str | None:
    """The app's database, when it is configured and (for SQLite) already exists."""
    from sqlalchemy.engine import make_url

    from app.settings import SettingsError, load_settings

    try:
        url = load_settings().database_url
        parsed = make_url(url)
    except (SettingsError, ValueError):
        return None
    sqlite = parsed.get_backend_name() == "sqlite"
    if sqlite and not (parsed.database and os.path.exists(parsed.database)):
        return None
    return url


def _options(args: argparse.Namespace) -> LocalOptions:
    from app.local_proof import LocalOptions

    osv_dir = args.osv_dir or os.environ.get("MAESTRO_OSV_DIR") or None
    return LocalOptions(
        evidence=[*args.evidence, *args.coverage, *args.mutation, *args.benchmark],
        osv_dir=osv_dir,
        database_url=None if osv_dir else _database_url(),
        depth=args.depth,
        top=args.top,
    )


def blocks(proof: LocalProof, strict: bool) -> bool:
    """Would the gate block this change? Failure always; pending too under --strict."""
    if proof.card.conclusion is Conclusion.FAILURE:
        return True
    return strict and any(r.status is ObligationStatus.PENDING for r in proof.card.results)


def card_json(proof: LocalProof) -> dict[str, Any]:
    """The card model, with its title and conclusion (computed properties of the model)."""
    card = proof.card
    return {
        "title": card_title(card),
        "conclusion": card.conclusion.value,
        **card.model_dump(mode="json"),
        "base_sha": proof.change.base_sha,
        "merge_base": proof.change.merge_base,
    }


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return "—" if value is None else str(value)


def _required(r: ObligationResult) -> str:
    op = r.comparator.value + " " if r.comparator and r.comparator.value != "all" else ""
    return op + _cell(r.required)


_DETAILS = re.compile(r"<details>\s*<summary>(.*?)</summary>", re.S)


def _terminal_markdown(section: str) -> str:
    """GitHub's folding tags as plain Markdown (a terminal shows everything anyway)."""
    return _DETAILS.sub(r"**\1**", section).replace("</details>", "")


def print_table(proof: LocalProof, console: Console) -> None:
    from rich import box
    from rich.markdown import Markdown
    from rich.table import Table
    from rich.text import Text

    from app.render import STATUS_ICONS

    card = proof.card
    conclusion = card.conclusion.value
    console.print(
        Text.assemble(
            ("Maestro Proof Card ", "bold"),
            (card.head_sha[:7], "cyan"),
            "  ",
            (f"{conclusion}: {card_title(card)}", CONCLUSION_STYLES[conclusion]),
        )
    )
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, expand=False)
    table.add_column("")
    table.add_column("Obligation")
    table.add_column("Required", no_wrap=True)
    table.add_column("Actual", no_wrap=True)
    table.add_column("Why (evidence source)", overflow="fold")
    for r in card.results:
        if r.status is ObligationStatus.NOT_REQUIRED:
            continue
        table.add_row(
            STATUS_ICONS[r.status.value],
            Text(r.title, style=STYLES[r.status.value]),
            _required(r),
            _cell(r.actual),
            Text.assemble(sentence(r), *((("\n" + r.source, "dim"),) if r.source else ())),
        )
    console.print(table)
    failed = [r for r in card.results if r.status is ObligationStatus.FAILED]
    if failed:
        console.print(Text("What blocks the merge", style="bold red"))
        for r in failed:
            facts = f" ({'; '.join(r.facts)})" if r.facts else ""
            console.print(f"  • {r.title}: {sentence(r)}{facts}", markup=False, highlight=False)
    pending = [r for r in card.results if r.status is ObligationStatus.PENDING]
    if pending:
        console.print(Text("Waiting for evidence", style="bold yellow"))
        for r in pending:
            console.print(f"  • {r.title} needs {r.source}.", markup=False, highlight=False)
    skipped = [r.title for r in card.results if r.status is ObligationStatus.NOT_REQUIRED]
    if skipped:
        console.print(Text(f"Not required by the policy: {', '.join(skipped)}.", style="dim"))
    for section in card.sections.values():
        console.print()
        console.print(Markdown(_terminal_markdown(section)))


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from app.local_change import LocalChangeError
    from app.local_proof import prove_local
    from app.render import render_proof_card

    try:
        proof = prove_local(args.repo, args.base, args.head, _options(args))
    except LocalChangeError as exc:
        print(f"maestro proof: {exc}", file=sys.stderr)
        return 2
    for problem in proof.evidence.problems:
        if problem.obligation is None:  # the card shows the others on their obligation
            print(f"maestro proof: {problem_sentence(problem)}", file=sys.stderr)
    if args.format == "markdown":
        sys.stdout.write(render_proof_card(proof.card)[1])
    elif args.format == "json":
        print(json.dumps(card_json(proof), indent=2, ensure_ascii=False))
    else:
        print_table(proof, Console())
    return 1 if blocks(proof, args.strict) else 0
