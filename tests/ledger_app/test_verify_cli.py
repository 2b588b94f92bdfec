"""`maestro ledger verify|purge|show|checkpoint|public-key` and `maestro auditors` on a real
SQLite file, and an auditor verifying over HTTP (the tamper drills are in test_tamper_drills.py).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ledger_app.helpers import Cli, Fill
from support.servers import serve

from app.checkpoints import checkpoint_now
from app.ledger_keys import signing_key
from app.main import Services

SIZE = 20  # entries seeded before each drill (a checkpoint covers all of them)


def _db(db_url: str) -> sqlite3.Connection:
    return sqlite3.connect(db_url.removeprefix("sqlite+aiosqlite:///"), isolation_level=None)


async def _seed(services: Services, fill: Fill, size: int = SIZE) -> None:
    await fill(size)
    async with services.sessions() as session, session.begin():
        await checkpoint_now(session, signing_key(services.settings))


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
