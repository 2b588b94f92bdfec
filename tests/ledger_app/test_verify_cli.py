"""Tamper drills on a real SQLite file: `maestro ledger verify` names the first bad entry.

Rows are changed behind the app's back with plain SQL, as an attacker with database access
would; the CLI must then fail with exit 1 and name the first bad sequence number.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from ledger_app.helpers import Cli, Fill
from support.servers import serve

from app.checkpoints import checkpoint_now
from app.ledger_keys import signing_key
from app.main import Services
from ledger.entry import EntryHeader, chain_hash, leaf_hash

SIZE = 20  # entries seeded before each drill (a checkpoint covers all of them)


def _db(db_url: str) -> sqlite3.Connection:
    return sqlite3.connect(db_url.removeprefix("sqlite+aiosqlite:///"), isolation_level=None)


def _swap(con: sqlite3.Connection, a: int, b: int) -> None:
    cols = "time, actor, installation_id, repository, kind, subject, payload, payload_sha256, "
    cols += "prev_hash, entry_hash, leaf_hash"
    ra = con.execute(f"SELECT {cols} FROM ledger_entries WHERE seq = ?", (a,)).fetchone()
    rb = con.execute(f"SELECT {cols} FROM ledger_entries WHERE seq = ?", (b,)).fetchone()
    sets = ", ".join(f"{c.strip()} = ?" for c in cols.split(","))
    con.execute(f"UPDATE ledger_entries SET {sets} WHERE seq = ?", (*rb, a))
    con.execute(f"UPDATE ledger_entries SET {sets} WHERE seq = ?", (*ra, b))


def _truncate(con: sqlite3.Connection, keep: int) -> None:
    last = con.execute("SELECT entry_hash FROM ledger_entries WHERE seq = ?", (keep - 1,))
    con.execute("DELETE FROM ledger_entries WHERE seq >= ?", (keep,))
    con.execute(
        "UPDATE ledger_head SET size = ?, head_hash = ?",
        (keep, bytes.fromhex(last.fetchone()[0])),
    )


def _rewrite_with_recomputed_hashes(con: sqlite3.Connection, seq: int) -> None:
    """Change an entry's subject and recompute every chain hash after it (nodes left alone)."""
    con.execute("UPDATE ledger_entries SET subject = 'pr:evil/repo#1' WHERE seq = ?", (seq,))
    prev = bytes.fromhex(
        con.execute("SELECT prev_hash FROM ledger_entries WHERE seq = ?", (seq,)).fetchone()[0]
    )
    rows = con.execute(
        "SELECT seq, time, actor, installation_id, repository, kind, subject, payload_sha256 "
        "FROM ledger_entries WHERE seq >= ? ORDER BY seq",
        (seq,),
    ).fetchall()
    for row in rows:
        names = ("seq", "time", "actor", "installation_id", "repository", "kind", "subject")
        header = EntryHeader(**dict(zip(names, row[:7], strict=True)), payload_sha256=row[7])
        entry = chain_hash(prev, header)
        con.execute(
            "UPDATE ledger_entries SET prev_hash = ?, entry_hash = ?, leaf_hash = ? WHERE seq = ?",
            (prev.hex(), entry.hex(), leaf_hash(header).hex(), row[0]),
        )
        prev = entry
    con.execute("UPDATE ledger_head SET head_hash = ?", (prev,))


DRILLS: dict[str, tuple[Callable[[sqlite3.Connection], object], int, str]] = {
    "payload edited": (
        lambda c: c.execute("UPDATE ledger_entries SET payload = '{\"n\": 999}' WHERE seq = 7"),
        7,
        "payload_hash_mismatch",
    ),
    "actor edited": (
        lambda c: c.execute("UPDATE ledger_entries SET actor = 'mallory' WHERE seq = 4"),
        4,
        "entry_hash_mismatch",
    ),
    "payload not JSON": (
        lambda c: c.execute("UPDATE ledger_entries SET payload = '{oops' WHERE seq = 2"),
        2,
        "malformed_entry",
    ),
    "leaf node edited": (
        lambda c: c.execute(
            "UPDATE ledger_nodes SET hash = zeroblob(32) WHERE level = 0 AND idx = 9"
        ),
        9,
        "tree node (0, 9)",
    ),
    "inner node edited": (
        lambda c: c.execute(
            "UPDATE ledger_nodes SET hash = zeroblob(32) WHERE level = 2 AND idx = 3"
        ),
        12,
        "tree node (2, 3)",
    ),
    "leaf node deleted": (
        lambda c: c.execute("DELETE FROM ledger_nodes WHERE level = 0 AND idx = 9"),
        9,
        "tree node (0, 9) is missing",
    ),
    "inner node deleted": (
        lambda c: c.execute("DELETE FROM ledger_nodes WHERE level = 2 AND idx = 3"),
        12,
        "tree node (2, 3) is missing",
    ),
    "head moved back": (
        lambda c: c.execute("UPDATE ledger_head SET size = 18"),
        18,
        "the ledger head says 18 entries but the table holds 20",
    ),
    "tail truncated with its checkpoints": (
        lambda c: (_truncate(c, 15), c.execute("DELETE FROM ledger_checkpoints")),
        15,
        "a tree node (0, 15) exists for entries 15..15, past the last entry 14",
    ),
    "row deleted": (
        lambda c: c.execute("DELETE FROM ledger_entries WHERE seq = 11"),
        11,
        "sequence_error",
    ),
    "rows swapped": (lambda c: _swap(c, 3, 5), 3, "prev_hash_mismatch"),
    "tail truncated": (lambda c: _truncate(c, 15), 15, "log_truncated"),
    "rewritten with recomputed hashes": (
        lambda c: _rewrite_with_recomputed_hashes(c, 6),
        6,
        "tree node (0, 6)",
    ),
    "row inserted past the head": (
        lambda c: c.execute(
            "INSERT INTO ledger_entries SELECT seq + 1, time, actor, installation_id, repository,"
            " kind, subject, payload, payload_sha256, prev_hash, entry_hash, leaf_hash, purged_at"
            f" FROM ledger_entries WHERE seq = {SIZE - 1}"
        ),
        SIZE,
        "prev_hash_mismatch",
    ),
}


async def _seed(services: Services, fill: Fill, size: int = SIZE) -> None:
    await fill(size)
    async with services.sessions() as session, session.begin():
        await checkpoint_now(session, signing_key(services.settings))


async def test_an_untouched_ledger_verifies(services: Services, fill: Fill, cli: Cli) -> None:
    await _seed(services, fill)
    code, out, _ = await cli("ledger", "verify")
    assert code == 0, out
    assert out.startswith(f"OK: {SIZE} entries verified") and "root matches the entries" in out


@pytest.mark.parametrize("drill", list(DRILLS))
async def test_tampering_is_detected_and_the_first_bad_entry_named(
    drill: str, services: Services, fill: Fill, cli: Cli, db_url: str
) -> None:
    await _seed(services, fill)
    tamper, first_bad, why = DRILLS[drill]
    with _db(db_url) as con:
        tamper(con)
    code, out, _ = await cli("ledger", "verify")
    assert code == 1, out
    assert re.search(rf"^FAILED: first bad entry {first_bad}\b", out), out
    assert why in out


async def test_purging_keeps_every_hash_and_the_checkpoint_valid(
    services: Services, fill: Fill, cli: Cli
) -> None:
    await _seed(services, fill)
    code, out, _ = await cli("ledger", "purge", "--before", "2999-01-01")
    assert code == 0 and f"purged the payloads of {SIZE} entries" in out
    code, out, _ = await cli("ledger", "show", "3")
    assert '"purged": true' in out and '"payload": null' in out and "payload_sha256" in out
    code, out, _ = await cli("ledger", "verify")
    assert code == 0 and f"({SIZE} with purged payloads)" in out, out
    code, _, err = await cli("ledger", "purge", "--before", "last tuesday")
    assert code == 2 and "--before" in err


async def test_auditor_commands_show_the_token_once_and_store_only_its_hash(
    services: Services, cli: Cli, db_url: str
) -> None:
    code, out, err = await cli("auditors", "add", "acme-audit")
    token = out.strip()
    assert code == 0 and token.startswith("mae_audit_") and "shown only once" in err
    with _db(db_url) as con:
        dump = "\n".join(con.iterdump())
    assert token not in dump
    code, out, _ = await cli("auditors", "list")
    assert "acme-audit" in out and "active" in out and token not in out
    code, _, err = await cli("auditors", "add", "acme-audit")
    assert code == 1 and "already exists" in err
    code, _, err = await cli("auditors", "add", "bad name!")
    assert code == 1 and "invalid auditor name" in err
    assert (await cli("auditors", "revoke", "acme-audit"))[0] == 0
    assert (await cli("auditors", "revoke", "acme-audit"))[0] == 1
    code, out, _ = await cli("auditors", "add", "acme-audit")
    assert code == 0 and out.strip() != token
    code, out, _ = await cli("ledger", "verify")
    assert code == 0 and "OK: 3 entries" in out  # added, revoked, added again


async def test_an_auditor_verifies_over_http_with_an_earlier_checkpoint(
    services: Services, fill: Fill, cli: Cli, tmp_path: Path, db_url: str
) -> None:
    await _seed(services, fill, 10)
    code, out, _ = await cli("ledger", "checkpoint")
    earlier = tmp_path / "earlier.checkpoint"
    earlier.write_text(out)
    code, out, _ = await cli("ledger", "public-key")
    public = tmp_path / "ledger.pub"
    public.write_text(out.splitlines()[0])
    code, token, _ = await cli("auditors", "add", "remote")
    await fill(7)
    services.settings.checkpoint_every_entries = 1  # the API signs a fresh head on request
    saved = tmp_path / "latest.checkpoint"
    async with serve(services.app) as url:  # type: ignore[attr-defined]
        args = ["ledger", "verify", "--url", url, "--token", token.strip()]
        code, out, err = await cli(
            *args,
            "--public-key",
            str(public),
            "--checkpoint",
            str(earlier),
            "--save-checkpoint",
            str(saved),
        )
        assert code == 0, out + err
        assert out.startswith("OK: 18 entries verified")
        assert "consistency proof earlier[0] (10) → 18: OK" in err
        assert saved.read_text().splitlines()[1] == "18"
        with _db(db_url) as con:
            con.execute("UPDATE ledger_entries SET kind = 'waiver.granted' WHERE seq = 13")
        code, out, _ = await cli(*args, "--public-key", str(public))
        assert code == 1 and out.startswith("FAILED: first bad entry 13"), out
        code, _, err = await cli("ledger", "verify", "--url", url, "--token", "mae_audit_wrong")
        assert code == 2 and "401" in err
