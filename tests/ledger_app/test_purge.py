"""Purging with a cut-off in the middle of the log: older payloads go, newer stay, every hash,
proof and checkpoint still verifies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from ledger_app.helpers import Cli, record

from app.auditors import add_auditor
from app.checkpoints import checkpoint_now
from app.ledger_keys import signing_key
from app.ledger_store import append
from app.main import Services
from ledger.canonical import canonical_json
from ledger.checkpoint import parse_and_verify_checkpoint
from ledger.entry import header_fields
from ledger.merkle import hash_leaf
from ledger.merkle_verify import verify_consistency, verify_inclusion
from ledger.verify import verify_entries

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


async def test_purge_before_a_date_in_the_middle_of_the_log(
    client: httpx.AsyncClient, services: Services, cli: Cli
) -> None:
    for day in range(10):  # entries 0..9, one a day
        async with services.sessions() as session, session.begin():
            await append(session, record(day), now=T0 + timedelta(days=day))
    async with services.sessions() as session, session.begin():
        token = await add_auditor(session, "alice", ["audit"])  # entry 10, today
        before, _ = await checkpoint_now(session, signing_key(services.settings))
    auth = {"Authorization": f"Bearer {token}"}
    originals = (await client.get("/ledger/entries", headers=auth)).json()["entries"]

    code, out, _ = await cli("ledger", "purge", "--before", "2026-01-05T18:00:00Z")
    assert code == 0 and "purged the payloads of 5 entries" in out, out

    body = (await client.get("/ledger/entries", headers=auth)).json()
    entries = body["entries"]
    assert body["tree_size"] == 12  # + the ledger.purged entry
    assert [e["purged"] for e in entries] == [True] * 5 + [False] * 7
    for old, new in zip(originals, entries, strict=False):
        assert new["payload_sha256"] == old["payload_sha256"]
        assert new["entry_hash"] == old["entry_hash"]
        assert new["payload"] == (None if new["seq"] < 5 else old["payload"])
    assert entries[11]["kind"] == "ledger.purged"
    assert entries[11]["payload"] == {"before": "2026-01-05T18:00:00.000000Z", "entries": 5}

    services.settings.checkpoint_every_entries = 1  # the API signs the new head on request
    latest = (await client.get("/ledger/checkpoint", headers=auth)).json()
    key = (await client.get("/ledger/public-key", headers=auth)).json()["verifier_key"]
    old_cp = parse_and_verify_checkpoint(before.note, latest["origin"], key)
    new_cp = parse_and_verify_checkpoint(latest["checkpoint"], latest["origin"], key)
    assert (old_cp.size, new_cp.size) == (11, 12)
    report = verify_entries(
        entries,
        checkpoint=latest["checkpoint"],
        earlier_checkpoints=[before.note],
        public_key=key,
        origin=latest["origin"],
    )
    assert report.ok and report.purged == 5, report.message
    for entry in entries:  # the leaf is recomputed from the (purged or not) entry's header
        leaf = hash_leaf(canonical_json(header_fields(entry)))
        for cp in (old_cp, new_cp):
            if entry["seq"] >= cp.size:
                continue
            query = f"seq={entry['seq']}&tree_size={cp.size}"
            proof = (await client.get(f"/ledger/proof/inclusion?{query}", headers=auth)).json()
            path = [bytes.fromhex(h) for h in proof["audit_path"]]
            verify_inclusion(leaf, entry["seq"], cp.size, path, cp.root_hash)
    proof = (await client.get("/ledger/proof/consistency?first=11&second=12", headers=auth)).json()
    path = [bytes.fromhex(h) for h in proof["consistency"]]
    verify_consistency(11, 12, path, old_cp.root_hash, new_cp.root_hash)

    code, out, _ = await cli("ledger", "verify")
    assert code == 0 and out.startswith("OK: 12 entries verified (5 with purged payloads)"), out
