"""`maestro osv stats PATH`: read an offline OSV database (directory of JSON/YAML records or
OSV's per-ecosystem all.zip) and report what it holds and what could not be read.
`maestro osv import PATH`: index it into Maestro's database for pull-request scans.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from checks.sbom.models import ParseProblem
from checks.sbom.osv import iter_osv


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("osv", help="offline OSV advisory database")
    sub = parser.add_subparsers(dest="osv_command", metavar="SUBCOMMAND")
    stats = sub.add_parser("stats", help="count the advisories under PATH, per ecosystem")
    stats.add_argument("path")
    stats.add_argument("--format", choices=["text", "json"], default="text")
    stats.set_defaults(func=run_stats)
    importer = sub.add_parser("import", help="index the advisories under PATH into the database")
    importer.add_argument("path", nargs="?", help="default: MAESTRO_OSV_DIR")
    importer.set_defaults(func=run_import)
    parser.set_defaults(func=lambda _a: (parser.print_help(), 2)[1])
    return parser


def run_stats(args: argparse.Namespace) -> int:
    if not Path(args.path).exists():
        print(f"maestro osv: {args.path} does not exist")
        return 2
    problems: list[ParseProblem] = []
    per_eco: Counter[str] = Counter()
    packages: set[tuple[str, str]] = set()
    total = withdrawn = 0
    for adv in iter_osv(args.path, problems):
        total += 1
        withdrawn += bool(adv.withdrawn)
        for eco in {a.ecosystem.split(":", 1)[0] for a in adv.affected}:
            per_eco[eco] += 1
        packages.update((a.ecosystem, a.name) for a in adv.affected)
    if args.format == "json":
        print(
            json.dumps(
                {
                    "advisories": total,
                    "withdrawn": withdrawn,
                    "packages": len(packages),
                    "ecosystems": dict(sorted(per_eco.items())),
                    "problems": [p.model_dump(mode="json") for p in problems],
                },
                indent=2,
            )
        )
    else:
        print(f"{total} advisories ({withdrawn} withdrawn) on {len(packages)} packages")
        for eco, n in sorted(per_eco.items()):
            print(f"  {eco}: {n}")
        for p in problems:
            print(f"  problem: {p.file}: {p.message}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    import asyncio

    from app.commands.common import database_errors, database_settings_or_exit

    settings = database_settings_or_exit()
    path = args.path or (str(settings.osv_dir) if settings.osv_dir else None)
    if not path:
        print("maestro osv import: give PATH or set MAESTRO_OSV_DIR")
        return 2
    if not Path(path).exists():
        print(f"maestro osv import: {path} does not exist")
        return 2
    problems: list[ParseProblem] = []
    with database_errors(settings.database_url):
        stored, total = asyncio.run(_import(settings.database_url, path, problems))
    print(f"indexed {stored} advisories from {path}; the database now holds {total}")
    for p in problems[:20]:
        print(f"  problem: {p.file}: {p.message}")
    return 0


async def _import(url: str, path: str, problems: list[ParseProblem]) -> tuple[int, int]:
    from app.db import create_engine, session_factory
    from app.osv_store import advisory_count, import_advisories

    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            stored = await import_advisories(session, iter_osv(path, problems))
        async with session_factory(engine)() as session:
            return stored, await advisory_count(session)
    finally:
        await engine.dispose()
