"""`maestro ledger verify|purge|checkpoint|show|public-key`: the transparency ledger from a shell.

`verify` reads every entry from the local database (or, with `--url`, from an auditor API),
recomputes the chain and the Merkle root, checks the latest signed checkpoint and any earlier
checkpoint files, and prints OK with the size and root or the first bad entry and why. With
`--proof` it checks a saved inclusion or consistency proof against saved signed checkpoints
instead, offline: no network, no database.

Exit status: 0 OK; 1 verification failed or nothing to do; 2 bad arguments, key or server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.commands.common import (
    database_errors,
    database_settings_or_exit,
    settings_or_exit,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("ledger", help="verify, purge, checkpoint or show the ledger")
    sub = parser.add_subparsers(dest="ledger_command", required=True)

    verify = sub.add_parser("verify", help="verify every entry, the chain, tree and checkpoints")
    verify.add_argument("--url", help="auditor API base URL (default: the local database)")
    verify.add_argument(
        "--token", help="auditor token for --url (default: $MAESTRO_AUDIT_TOKEN)", default=None
    )
    verify.add_argument("--database", help="database URL (default: MAESTRO_DATABASE_URL)")
    verify.add_argument("--public-key", type=Path, help="the log's public key file (PEM/note key)")
    verify.add_argument("--origin", help="the log's origin (default: as configured or served)")
    verify.add_argument(
        "--checkpoint",
        type=Path,
        action="append",
        default=[],
        help="a signed checkpoint file (note or /ledger/checkpoint JSON), repeatable: an earlier "
        "one to check consistency with, or with --proof the one(s) the proof is checked against",
    )
    verify.add_argument(
        "--proof",
        type=Path,
        help="offline: a saved /ledger/proof/inclusion or /consistency answer (JSON) to check "
        "against --checkpoint with --public-key; no network, no database",
    )
    verify.add_argument(
        "--entry", type=Path, help="with an inclusion --proof: the saved /ledger/entries/{seq}"
    )
    verify.add_argument("--leaf-hash", help="with an inclusion --proof: the leaf hash (hex)")
    verify.add_argument("--save-checkpoint", type=Path, help="write the verified checkpoint here")
    verify.add_argument(
        "--workers",
        type=_positive,
        default=None,
        help="processes that verify a SQLite file's blocks side by side (default: one per CPU; "
        "1: block after block in this process)",
    )
    verify.add_argument("--format", choices=["text", "json"], default="text")
    verify.set_defaults(func=run_verify)

    purge = sub.add_parser("purge", help="drop payloads older than a date (hashes stay valid)")
    purge.add_argument("--before", required=True, help="YYYY-MM-DD or an RFC 3339 time (UTC)")
    purge.add_argument("--dry-run", action="store_true", help="only count what would be purged")
    purge.set_defaults(func=run_purge)

    checkpoint = sub.add_parser("checkpoint", help="sign a checkpoint of the current size now")
    checkpoint.set_defaults(func=run_checkpoint)

    show = sub.add_parser("show", help="print one entry as JSON")
    show.add_argument("seq", type=int)
    show.set_defaults(func=run_show)

    key = sub.add_parser("public-key", help="print the checkpoint verifier key for auditors")
    key.set_defaults(func=run_public_key)


def _fail(message: str, code: int = 2) -> int:
    print(f"maestro: {message}", file=sys.stderr)
    return code


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SystemExit(_fail(f"cannot read the {what} {path}: {exc}")) from None


def _print_report(report: Any, notes: list[str], fmt: str) -> int:
    if fmt == "json":
        print(json.dumps({**report.model_dump(mode="json"), "notes": notes}, indent=2))
        return 0 if report.ok else 1
    for note in notes:
        print(note, file=sys.stderr)
    if report.ok:
        print(
            f"OK: {report.verified} entries verified ({report.purged} with purged payloads); "
            f"size {report.verified}, root {report.root_hash}"
        )
        for cp in report.checkpoints:
            print(f"  checkpoint {cp.label}: size {cp.size}, {cp.message}")
        return 0
    where = f"entry {report.first_bad_seq}" if report.first_bad_seq is not None else "the ledger"
    problem = f" ({report.problem})" if report.problem else ""
    print(f"FAILED: first bad {where}{problem}: {report.message}")
    if report.suspect_range:
        lo, hi = report.suspect_range
        print(f"  the first rewritten entry lies in {lo}..{hi}")
    print(f"  {report.verified} entries verified before it")
    return 1


def run_verify(args: argparse.Namespace) -> int:
    if args.proof:
        return _verify_offline(args)
    earlier = [_read(p, "checkpoint file") for p in args.checkpoint]
    public_key = _read(args.public_key, "public key file") if args.public_key else None
    if args.url:
        return _verify_remote(args, earlier, public_key)
    overrides = {"database_url": args.database} if args.database else {}
    settings = database_settings_or_exit(**overrides)
    with database_errors(settings.database_url):
        return asyncio.run(_verify_local(args, settings, earlier, public_key))


def _verify_offline(args: argparse.Namespace) -> int:
    """`--proof`: a saved proof against saved checkpoints; exit 0 verified, 1 not, 2 misuse."""
    from ledger.offline import (
        OfflineError,
        checkpoint_text,
        load_checkpoints,
        public_key_text,
        verify_consistency_answer,
        verify_inclusion_answer,
    )

    if args.url or args.database:
        return _fail("--proof is checked offline: drop --url and --database")
    if not args.public_key or not args.checkpoint:
        return _fail("--proof needs --checkpoint FILE and --public-key FILE (the log's key)")
    try:
        proof = json.loads(_read(args.proof, "proof file"))
        entry = json.loads(_read(args.entry, "entry file")) if args.entry else None
        leaf = bytes.fromhex(args.leaf_hash) if args.leaf_hash else None
    except ValueError as exc:
        return _fail(f"not JSON or hex: {exc}")
    if not isinstance(proof, dict) or (entry is not None and not isinstance(entry, dict)):
        return _fail("the proof and entry files must hold JSON objects")
    try:
        key = public_key_text(_read(args.public_key, "public key file"))
        notes = [checkpoint_text(_read(p, "checkpoint file")) for p in args.checkpoint]
        checkpoints = load_checkpoints(notes, key, args.origin)
        if "audit_path" in proof:
            if entry is None and leaf is None:
                return _fail("an inclusion --proof needs --entry FILE or --leaf-hash HEX")
            if len(checkpoints) != 1:
                return _fail("an inclusion --proof is checked against one --checkpoint")
            what = verify_inclusion_answer(proof, checkpoints[0], entry=entry, leaf_hash=leaf)
        elif "consistency" in proof:
            what = verify_consistency_answer(proof, checkpoints)
        else:
            return _fail("--proof: not an inclusion or consistency proof answer")
    except OfflineError as exc:
        print(f"FAILED: {exc}")
        return 1
    print(f"OK: {what}")
    return 0


def _verify_remote(args: argparse.Namespace, earlier: list[str], public_key: str | None) -> int:
    import httpx

    from app.ledger_remote import RemoteError, verify_remote

    token = args.token or os.environ.get("MAESTRO_AUDIT_TOKEN")
    if not token:
        return _fail("--url needs an auditor token: --token T or MAESTRO_AUDIT_TOKEN")
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(headers=headers, timeout=60, follow_redirects=False) as client:
            report, latest, notes = verify_remote(
                client, args.url, public_key, args.origin, earlier
            )
    except RemoteError as exc:
        return _fail(str(exc))
    if report.ok and args.save_checkpoint:
        args.save_checkpoint.write_text(latest["checkpoint"], encoding="utf-8")
        notes.append(f"checkpoint at size {latest['size']} saved to {args.save_checkpoint}")
    return _print_report(report, notes, args.format)


async def _verify_local(
    args: argparse.Namespace, settings: Any, earlier: list[str], public_key: str | None
) -> int:
    from app.checkpoints import latest_checkpoint
    from app.db import create_engine, session_factory
    from app.ledger_keys import LedgerKeyError, load_existing_key
    from app.ledger_verify import verify_database

    origin = args.origin or settings.ledger_origin
    notes: list[str] = []
    key: Any = public_key
    if key is None:
        try:
            local = load_existing_key(settings)
        except LedgerKeyError as exc:
            return _fail(str(exc))
        key = local.public if local else None
    engine = create_engine(settings.database_url)
    try:
        sessions = session_factory(engine)
        async with sessions() as session:
            latest = await latest_checkpoint(session)
        note = latest.note if latest is not None else None
        if note is not None and key is None:
            notes.append("no ledger key found: the checkpoint's signature was not checked")
            note = None
        report = await verify_database(sessions, note, earlier, key, origin, workers=args.workers)
    finally:
        await engine.dispose()
    if report.ok and args.save_checkpoint and latest is not None:
        args.save_checkpoint.write_text(latest.note, encoding="utf-8")
    return _print_report(report, notes, args.format)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _cutoff(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SystemExit(
            _fail(f"--before: not a date (YYYY-MM-DD) or RFC 3339 time: {text!r}")
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def run_purge(args: argparse.Namespace) -> int:
    from app.ledger_admin import purge

    cutoff = _cutoff(args.before)
    count = _run_with_session(database_settings_or_exit(), lambda s: purge(s, cutoff, args.dry_run))
    verb = "would purge" if args.dry_run else "purged"
    print(f"{verb} the payloads of {count} entries before {cutoff.isoformat()}")
    return 0


def run_checkpoint(args: argparse.Namespace) -> int:
    from app.checkpoints import checkpoint_now
    from app.ledger_keys import LedgerKeyError, signing_key

    settings = database_settings_or_exit()
    try:
        key = signing_key(settings)
    except LedgerKeyError as exc:
        return _fail(str(exc))
    row, created = _run_with_session(settings, lambda s: checkpoint_now(s, key))
    print(row.note, end="")
    state = "signed" if created else "already covered by the latest checkpoint"
    print(f"size {row.size}, root {row.root_hash}: {state}", file=sys.stderr)
    return 0


def run_show(args: argparse.Namespace) -> int:
    from app.ledger_queries import entry_to_api, get_entry

    async def one(session: Any) -> dict[str, Any] | None:
        row = await get_entry(session, args.seq)
        return entry_to_api(row) if row is not None else None

    entry = _run_with_session(database_settings_or_exit(), one)
    if entry is None:
        return _fail(f"no ledger entry {args.seq}", 1)
    print(json.dumps(entry, indent=2, ensure_ascii=False))
    return 0


def run_public_key(args: argparse.Namespace) -> int:
    from app.ledger_keys import LedgerKeyError, signing_key

    try:
        key = signing_key(settings_or_exit())
    except LedgerKeyError as exc:
        return _fail(str(exc))
    print(key.verifier_key)
    print(key.public_pem, end="")
    return 0


def _run_with_session(settings: Any, work: Any) -> Any:
    """Run `work(session)` in one transaction; a database problem is a fix-it message."""
    with database_errors(settings.database_url):
        return asyncio.run(_with_session(settings, work))


async def _with_session(settings: Any, work: Any) -> Any:
    from app.db import create_engine, session_factory

    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()
