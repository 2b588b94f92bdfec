"""Done-when of the ledger issue: an auditor with a token fetches a checkpoint and proofs over
HTTP, saves them, and verifies them offline with `maestro ledger verify --proof` (no network, no
database); tampered files fail with exit 1 and the reason."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from ledger_app.helpers import Cli, Fill

from app.main import Services
from ledger.signing_keys import generate_key, verifier_key

OFFLINE_DB = "sqlite+aiosqlite:////nonexistent/no-database-here.db"


@pytest.fixture
async def saved(
    client: httpx.AsyncClient, services: Services, fill: Fill, auth: dict[str, str], tmp_path: Path
) -> Path:
    """What an auditor saves: two checkpoints, the key, an entry and both kinds of proof."""
    folder = tmp_path / "audit"
    folder.mkdir()

    async def save(name: str, url: str) -> dict[str, object]:
        response = await client.get(url, headers=auth)
        assert response.status_code == 200, response.text
        (folder / name).write_text(response.text)
        body: dict[str, object] = response.json()
        return body

    await fill(10)  # 11 entries with the auditor's
    first = await save("first.json", "/ledger/checkpoint")
    await fill(5)
    services.settings.checkpoint_every_entries = 1  # the API signs the new head on request
    second = await save("second.json", "/ledger/checkpoint")
    assert (first["size"], second["size"]) == (11, 16)
    await save("key.json", "/ledger/public-key")
    await save("entry7.json", "/ledger/entries/7")
    await save("inclusion7.json", "/ledger/proof/inclusion?seq=7&tree_size=16")
    await save("consistency.json", "/ledger/proof/consistency?first=11&second=16")
    (folder / "second.checkpoint").write_text(str(second["checkpoint"]))  # the bare note works too
    return folder


async def test_saved_proofs_verify_offline(
    saved: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAESTRO_DATABASE_URL", OFFLINE_DB)  # nothing may touch a database
    key = ["--public-key", str(saved / "key.json")]
    code, out, err = await cli(
        "ledger", "verify", "--proof", str(saved / "inclusion7.json"), "--entry",
        str(saved / "entry7.json"), "--checkpoint", str(saved / "second.json"), *key,
    )  # fmt: skip
    assert code == 0, out + err
    assert out.startswith("OK: entry 7 (leaf ") and "recomputed from the entry" in out
    assert "is in the tree of size 16" in out
    leaf = json.loads((saved / "inclusion7.json").read_text())["leaf_hash"]
    code, out, _ = await cli(
        "ledger", "verify", "--proof", str(saved / "inclusion7.json"), "--leaf-hash", leaf,
        "--checkpoint", str(saved / "second.checkpoint"), *key,
    )  # fmt: skip
    assert code == 0 and "as given" in out, out
    code, out, _ = await cli(
        "ledger", "verify", "--proof", str(saved / "consistency.json"),
        "--checkpoint", str(saved / "second.json"), "--checkpoint", str(saved / "first.json"),
        *key,
    )  # fmt: skip
    assert code == 0, out
    assert out.startswith("OK: the tree of size 16 (root ") and "extends the tree of size 11" in out


def _edit(path: Path, change: dict[str, object]) -> Path:
    body = json.loads(path.read_text())
    body.update(change)
    edited = path.with_name(f"edited-{len(list(path.parent.iterdir()))}-{path.name}")
    edited.write_text(json.dumps(body))
    return edited


async def test_tampered_files_fail_with_the_reason(saved: Path, cli: Cli, tmp_path: Path) -> None:
    entry, proof = saved / "entry7.json", saved / "inclusion7.json"
    cons, first, second = saved / "consistency.json", saved / "first.json", saved / "second.json"
    path = json.loads(proof.read_text())["audit_path"]
    flipped = [("0" if path[0][0] != "0" else "1") + path[0][1:], *path[1:]]
    other_key = tmp_path / "other.pub"
    other_key.write_text(verifier_key("maestro.local/ledger", generate_key()))
    note = json.loads(second.read_text())["checkpoint"].split("\n")
    note[1] = "17"  # a forged size: the signature no longer matches
    forged = tmp_path / "forged.checkpoint"
    forged.write_text("\n".join(note))
    key = saved / "key.json"

    cases = [
        (_edit(entry, {"actor": "mallory"}), proof, second, key, "entry_hash_mismatch"),
        (_edit(entry, {"payload": {"n": 1}}), proof, second, key, "payload_hash_mismatch"),
        (_edit(entry, {"seq": 8}), proof, second, key, "the entry has seq 8"),
        (entry, _edit(proof, {"audit_path": flipped}), second, key, "does not verify"),
        (entry, _edit(proof, {"audit_path": path[:-1]}), second, key, "does not verify"),
        (entry, proof, first, key, "fetch /ledger/proof/inclusion?seq=7&tree_size=11"),
        (entry, proof, forged, key, "checkpoint 1:"),
        (entry, proof, second, other_key, "checkpoint 1:"),
    ]
    for entry_file, proof_file, checkpoint, key_file, why in cases:
        code, out, err = await cli(
            "ledger", "verify", "--proof", str(proof_file), "--entry", str(entry_file),
            "--checkpoint", str(checkpoint), "--public-key", str(key_file),
        )  # fmt: skip
        assert code == 1, (why, out, err)
        assert out.startswith("FAILED: ") and why in out, (why, out)

    bad_cons = _edit(
        cons, {"consistency": list(reversed(json.loads(cons.read_text())["consistency"]))}
    )
    args = ["--public-key", str(key)]
    for proof_file, checkpoints, why in [
        (bad_cons, [first, second], "does not verify"),
        (cons, [second], "missing size 11"),
        (cons, [first, second, forged], "checkpoint 3:"),
    ]:
        more = [a for cp in checkpoints for a in ("--checkpoint", str(cp))]
        code, out, _ = await cli("ledger", "verify", "--proof", str(proof_file), *more, *args)
        assert code == 1 and why in out, (why, out)

    code, _, err = await cli("ledger", "verify", "--proof", str(proof), "--checkpoint", str(second))
    assert code == 2 and "--public-key" in err
    code, _, err = await cli(
        "ledger", "verify", "--proof", str(proof), "--checkpoint", str(second), *args
    )
    assert code == 2 and "--entry FILE or --leaf-hash HEX" in err
