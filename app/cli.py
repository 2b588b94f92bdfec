"""The `maestro` console script: builds the argument parser from the command modules and runs one.

Each module in `app.commands` owns one subcommand group and exposes
`register(subparsers: argparse._SubParsersAction) -> None`; the handler it sets with
`set_defaults(func=...)` receives the parsed namespace and returns an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Add a module here to add a subcommand group.
COMMAND_MODULES: tuple[str, ...] = (
    "app.commands.serve",
    "app.commands.db",
    "app.commands.deliveries",
    "app.commands.sbom",
    "app.commands.osv",
    "app.commands.affected",
    "app.commands.evidence",
    "app.commands.ledger",
    "app.commands.auditors",
    "app.commands.pii",
    "app.commands.proof",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="maestro",
        description="Maestro: every pull request carries its own proof.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    code = func(args)
    return int(code or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
