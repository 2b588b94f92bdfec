"""`maestro db upgrade`: apply database migrations."""

from __future__ import annotations

import argparse

from app.commands.common import database_errors, database_settings_or_exit, safe_url


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("db", help="database maintenance")
    sub = parser.add_subparsers(dest="db_command", required=True)
    upgrade = sub.add_parser("upgrade", help="apply migrations up to the latest schema")
    upgrade.add_argument("--revision", default="head")
    upgrade.set_defaults(func=run_upgrade)


def run_upgrade(args: argparse.Namespace) -> int:
    from app.migrate import upgrade

    settings = database_settings_or_exit()
    with database_errors(settings.database_url):
        upgrade(settings.database_url, args.revision)
    print(f"database at {safe_url(settings.database_url)} is at revision {args.revision}")
    return 0
