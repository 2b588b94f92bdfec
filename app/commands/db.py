"""`maestro db upgrade`: apply database migrations."""

from __future__ import annotations

import argparse

from app.commands.common import settings_or_exit


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("db", help="database maintenance")
    sub = parser.add_subparsers(dest="db_command", required=True)
    upgrade = sub.add_parser("upgrade", help="apply migrations up to the latest schema")
    upgrade.add_argument("--revision", default="head")
    upgrade.set_defaults(func=run_upgrade)


def run_upgrade(args: argparse.Namespace) -> int:
    from app.migrate import upgrade

    settings = settings_or_exit()
    upgrade(settings.database_url, args.revision)
    print(f"database at {settings.database_url.split('@')[-1]} is at revision {args.revision}")
    return 0
