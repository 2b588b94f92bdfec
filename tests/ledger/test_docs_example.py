"""docs/ledger.md's worked example is exact: recompute it with the library AND with hashlib."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from ledger.canonical import canonical_json
from ledger.checkpoint import parse_and_verify_checkpoint, sign_checkpoint
from ledger.entry import GENESIS_PREV_HASH, Entry, leaf_data, leaf_hash
from ledger.merkle_reference import MemoryTree
from ledger.signing_keys import load_private_key, verifier_key
from ledger.verify import verify_entries

DOC = (Path(__file__).resolve().parents[2] / "docs" / "ledger.md").read_text(encoding="utf-8")
ORIGIN = "maestro.example.com/ledger"
P0 = {
    "delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    "event": "pull_request",
    "action": "opened",
    "number": 12,
}
P1 = {"check_run_id": 4, "conclusion": "success", "summary": "Proof Card: 3/3 obligations met ✓"}
COMMON = {"actor": "maestro", "installation_id": 42, "repository": "octo/repo"}


def _entries() -> list[Entry]:
    e0 = Entry.create(
        GENESIS_PREV_HASH,
        {
            **COMMON,
            "seq": 0,
            "time": "2026-11-24T21:40:00.000000Z",
            "kind": "delivery.received",
            "subject": "pr:octo/repo#12",
        },
        P0,
    )
    e1 = Entry.create(
        bytes.fromhex(e0.entry_hash),
        {
            **COMMON,
            "seq": 1,
            "time": "2026-11-24T21:40:02.500000Z",
            "kind": "checkrun.completed",
            "subject": "pr:octo/repo#12",
        },
        P1,
    )
    return [e0, e1]


EXAMPLE = DOC[DOC.index("## 8. Worked example") :]


def _doc_value(name: str, occurrence: int) -> str:
    return re.findall(rf"^{name}\s+= (.+)$", EXAMPLE, flags=re.MULTILINE)[occurrence]


def test_entry_values_in_the_doc() -> None:
    for i, (entry, payload) in enumerate(zip(_entries(), (P0, P1), strict=True)):
        assert canonical_json(payload).decode() in DOC
        assert _doc_value("payload_sha256", i) == entry.header.payload_sha256
        assert _doc_value("leaf_data", i) == leaf_data(entry.header).decode()
        assert _doc_value("leaf_hash", i) == leaf_hash(entry.header).hex()
        assert _doc_value("prev_hash", i) == entry.prev_hash
        assert _doc_value("entry_hash", i) == entry.entry_hash


def test_independent_recomputation_from_the_doc_text() -> None:
    """An auditor's re-implementation: only hashlib and the strings printed in the doc."""
    prev = bytes(32)
    leaves = []
    for i in range(2):
        data = _doc_value("leaf_data", i).encode()
        assert _doc_value("payload_sha256", i) in data.decode()
        leaves.append(hashlib.sha256(b"\x00" + data).digest())
        assert leaves[-1].hex() == _doc_value("leaf_hash", i)
        prev = hashlib.sha256(prev + data).digest()
        assert prev.hex() == _doc_value("entry_hash", i)
    root = hashlib.sha256(b"\x01" + leaves[0] + leaves[1]).digest()
    assert root.hex() in DOC
    assert base64.b64encode(root).decode() in DOC


def test_checkpoint_in_the_doc() -> None:
    entries = _entries()
    tree = MemoryTree()
    for e in entries:
        tree.append(leaf_hash(e.header))
    key = load_private_key(base64.b64encode(bytes(range(32))).decode())
    vkey = verifier_key(ORIGIN, key)
    assert vkey in DOC
    text = sign_checkpoint(ORIGIN, 2, tree.root(), key)
    block = DOC[DOC.index(f"```\n{ORIGIN}\n2\n") + 4 :]
    block = block[: block.index("```")]
    assert block == text
    cp = parse_and_verify_checkpoint(block, ORIGIN, vkey)
    assert verify_entries([e.to_api() for e in entries], checkpoint=cp).ok
    purged = [entries[0].purge().to_api(), entries[1].to_api()]
    assert verify_entries(purged, checkpoint=cp).ok
