"""`maestro deliveries [--status S]` lists stored webhook deliveries; `retry ID` re-queues one."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from app.commands.common import database_errors, database_settings_or_exit

STATUSES = ["pending", "processing", "done", "ignored", "failed"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("deliveries", help="list or retry webhook deliveries")
    parser.add_argument("--status", choices=STATUSES, help="only deliveries in this state")
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.set_defaults(func=run_list)
    sub = parser.add_subparsers(dest="deliveries_command")
    retry = sub.add_parser("retry", help="re-queue a delivery now (resets its attempts)")
    retry.add_argument("id", help="the X-GitHub-Delivery id")
    retry.add_argument(
        "--force",
        action="store_true",
        help="re-queue even while a worker holds it (that worker's result is then discarded)",
    )
    retry.set_defaults(func=run_retry)


async def _list(url: str, status: str | None, limit: int) -> list[dict[str, object]]:
    from app import inbox
    from app.db import create_engine, session_factory

    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            rows = await inbox.list_deliveries(session, status, limit)
            return [
                {
                    "id": d.id,
                    "event": d.event,
                    "action": d.action,
                    "repository": d.repository,
                    "status": d.status,
                    "attempts": d.attempts,
                    "received_at": d.received_at.isoformat(),
                    "last_error": d.last_error,
                }
                for d in rows
            ]
    finally:
        await engine.dispose()


def run_list(args: argparse.Namespace) -> int:
    url = database_settings_or_exit().database_url
    with database_errors(url):
        rows = asyncio.run(_list(url, args.status, args.limit))
    if args.format == "json":
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no deliveries" + (f" with status {args.status}" if args.status else ""))
        return 0
    for row in rows:
        event = f"{row['event']}.{row['action']}" if row["action"] else str(row["event"])
        line = f"{row['id']}  {str(row['received_at'])[:19]}  {event:<32} {row['status']:<10} "
        line += f"attempts={row['attempts']}"
        if row["last_error"]:
            line += f"  error: {str(row['last_error'])[:100]}"
        print(line)
    return 0


async def _retry(url: str, delivery_id: str, force: bool) -> str:
    from app import inbox
    from app.db import create_engine, session_factory

    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            return await inbox.retry(session, delivery_id, force=force)
    finally:
        await engine.dispose()


def run_retry(args: argparse.Namespace) -> int:
    url = database_settings_or_exit().database_url
    with database_errors(url):
        outcome = asyncio.run(_retry(url, args.id, args.force))
    if outcome == "requeued":
        print(f"delivery {args.id} re-queued; a running `maestro serve` will pick it up")
        return 0
    if outcome == "busy":
        print(
            f"maestro: delivery {args.id} is being processed by a worker right now (its lease "
            "has not expired); wait for it to finish, or use --force to re-queue it anyway",
            file=sys.stderr,
        )
        return 1
    print(f"maestro: no delivery with id {args.id}", file=sys.stderr)
    return 1
