"""`maestro auditors add NAME [--scope audit]`, `revoke NAME` and `list`: auditor API tokens.

`add` prints the new token on stdout exactly once (only its SHA-256 is stored), so
`TOKEN=$(maestro auditors add alice)` captures it; the advice goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from app.commands.common import database_errors, database_settings_or_exit

T = TypeVar("T")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("auditors", help="manage tokens for the read-only auditor API")
    sub = parser.add_subparsers(dest="auditors_command", required=True)
    add = sub.add_parser("add", help="create an auditor and print its token (shown once)")
    add.add_argument("name", help="who the token is for, e.g. alice or acme-audit")
    add.add_argument(
        "--scope",
        action="append",
        choices=["audit"],
        help="scope to grant (default: audit, read access to the ledger API)",
    )
    add.set_defaults(func=run_add)
    revoke = sub.add_parser("revoke", help="revoke an auditor's token at once")
    revoke.add_argument("name")
    revoke.set_defaults(func=run_revoke)
    listing = sub.add_parser("list", help="list auditors (never their tokens)")
    listing.add_argument("--format", choices=["text", "json"], default="text")
    listing.set_defaults(func=run_list)


def _in_transaction(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    from app.db import create_engine, session_factory

    settings = database_settings_or_exit()

    async def go() -> T:
        engine = create_engine(settings.database_url)
        try:
            async with session_factory(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    with database_errors(settings.database_url):
        return asyncio.run(go())


def run_add(args: argparse.Namespace) -> int:
    from app.auditors import AuditorError, add_auditor

    try:
        token = _in_transaction(lambda s: add_auditor(s, args.name, args.scope or ["audit"]))
    except AuditorError as exc:
        print(f"maestro: {exc}", file=sys.stderr)
        return 1
    print(token)
    print(
        f"auditor {args.name} added. This token is shown only once: hand it over now "
        "(it is sent as `Authorization: Bearer TOKEN`).",
        file=sys.stderr,
    )
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    from app.auditors import revoke_auditor

    if _in_transaction(lambda s: revoke_auditor(s, args.name)):
        print(f"auditor {args.name} revoked")
        return 0
    print(f"maestro: no active auditor named {args.name}", file=sys.stderr)
    return 1


def run_list(args: argparse.Namespace) -> int:
    from app.auditors import list_auditors

    async def rows(session: AsyncSession) -> list[dict[str, Any]]:
        return [
            {
                "name": row.name,
                "scopes": row.scopes.split(),
                "created_at": row.created_at.isoformat(),
                "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
            }
            for row in await list_auditors(session)
        ]

    found = _in_transaction(rows)
    if args.format == "json":
        print(json.dumps(found, indent=2))
        return 0
    if not found:
        print("no auditors; add one with `maestro auditors add NAME`")
    for row in found:
        state = f"revoked {row['revoked_at'][:19]}" if row["revoked_at"] else "active"
        print(f"{row['name']:<24} {' '.join(row['scopes']):<10} {row['created_at'][:19]}  {state}")
    return 0
