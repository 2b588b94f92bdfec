"""ledger.verify: tamper drills on an in-memory log -- the first bad entry is always named."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.checkpoint import parse_and_verify_checkpoint, sign_checkpoint
from ledger.entry import GENESIS_PREV_HASH, Entry, chain_hash, format_time, leaf_hash
from ledger.entry import EntryHeader as Header
from ledger.merkle_reference import MemoryTree
from ledger.merkle_verify import verify_consistency, verify_inclusion
from ledger.signing_keys import generate_key
from ledger.verify import LogAccumulator, Problem, verify_entries

ORIGIN = "maestro.test/ledger"
N = 20
T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
KINDS = ["delivery.received", "checkrun.completed", "comment.posted", "fixit.applied"]


def build_log(n: int = N) -> tuple[list[Entry], MemoryTree]:
    entries: list[Entry] = []
    tree = MemoryTree()
    prev = GENESIS_PREV_HASH
    for seq in range(n):
        fields = {
            "seq": seq,
            "time": format_time(T0 + timedelta(seconds=seq)),
            "actor": "maestro" if seq % 3 else "octocat",
            "installation_id": 7 if seq % 4 else None,
            "repository": "octo/repo",
            "kind": KINDS[seq % len(KINDS)],
            "subject": f"pr:octo/repo#{seq}",
        }
        entry = Entry.create(prev, fields, {"n": seq, "note": "é ✓", "list": [1, 2.5, None]})
        entries.append(entry)
        tree.append(leaf_hash(entry.header))
        prev = bytes.fromhex(entry.entry_hash)
    return entries, tree


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return generate_key()


@pytest.fixture(scope="module")
def log() -> tuple[list[Entry], MemoryTree]:
    return build_log()


def api(entries: list[Entry]) -> list[dict[str, Any]]:
    return [e.to_api() for e in entries]


def rehash_from(rows: list[dict[str, Any]], start: int) -> None:
    """What a thorough attacker does: recompute every hash from `start` on."""
    for i in range(start, len(rows)):
        row = rows[i]
        header = Header(**{k: row[k] for k in Header.model_fields})
        prev = bytes.fromhex(rows[i - 1]["entry_hash"]) if i else GENESIS_PREV_HASH
        row["prev_hash"] = prev.hex()
        row["entry_hash"] = chain_hash(prev, header).hex()


def checked(rows: list[dict[str, Any]], key: Ed25519PrivateKey, **kw: Any) -> Any:
    return verify_entries(rows, public_key=key.public_key(), origin=ORIGIN, **kw)


def test_intact_log_verifies(log: tuple[list[Entry], MemoryTree], key: Ed25519PrivateKey) -> None:
    entries, tree = log
    cp = sign_checkpoint(ORIGIN, N, tree.root(), key)
    report = checked(api(entries), key, checkpoint=cp)
    assert report.ok, report.message
    assert report.verified == report.entries == N
    assert report.root_hash == tree.root().hex()
    assert report.head_hash == entries[-1].entry_hash
    assert report.first_bad_seq is None and report.problem is None
    assert [c.ok for c in report.checkpoints] == [True]


def test_entry_objects_and_generators_are_accepted(log: tuple[list[Entry], MemoryTree]) -> None:
    entries, tree = log

    def stream() -> Iterator[dict[str, Any]]:
        yield from api(entries)

    assert verify_entries(entries).root_hash == tree.root().hex()
    assert verify_entries(stream()).ok


def test_empty_log(key: Ed25519PrivateKey) -> None:
    cp = sign_checkpoint(ORIGIN, 0, MemoryTree().root(), key)
    report = checked([], key, checkpoint=cp)
    assert report.ok and report.verified == 0


def test_purged_payloads_still_verify(
    log: tuple[list[Entry], MemoryTree], key: Ed25519PrivateKey
) -> None:
    entries, tree = log
    purged = [e.purge() if e.seq < 12 else e for e in entries]
    cp = sign_checkpoint(ORIGIN, N, tree.root(), key)
    report = checked(api(purged), key, checkpoint=cp)
    assert report.ok, report.message
    assert report.purged == 12
    rows = api(purged)
    assert rows[3]["purged"] is True and rows[3]["payload"] is None
    assert rows[3]["payload_sha256"] == entries[3].header.payload_sha256


@pytest.mark.parametrize("seq", [0, 5, N - 1])
def test_tampered_payload(log: tuple[list[Entry], MemoryTree], seq: int) -> None:
    rows = api(log[0])
    rows[seq]["payload"]["n"] = 999
    report = verify_entries(rows)
    assert (report.first_bad_seq, report.problem) == (seq, Problem.PAYLOAD_HASH)
    assert report.verified == seq


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("actor", "mallory"),
        ("kind", "waiver.granted"),
        ("time", "2030-01-01T00:00:00.000000Z"),
        ("installation_id", 8),
        ("subject", None),
        ("payload_sha256", "ab" * 32),
    ],
)
def test_tampered_header(log: tuple[list[Entry], MemoryTree], field: str, value: Any) -> None:
    rows = api(log[0])
    rows[7][field] = value
    if field == "payload_sha256":
        rows[7]["payload"] = None
        rows[7]["purged"] = True  # hide the mismatch by "purging"
    report = verify_entries(rows)
    assert (report.first_bad_seq, report.problem) == (7, Problem.ENTRY_HASH)


def test_tampered_prev_hash(log: tuple[list[Entry], MemoryTree]) -> None:
    rows = api(log[0])
    rows[9]["prev_hash"] = "11" * 32
    report = verify_entries(rows)
    assert (report.first_bad_seq, report.problem) == (9, Problem.PREV_HASH)
    rows = api(log[0])
    rows[0]["prev_hash"] = "11" * 32
    assert verify_entries(rows).problem == Problem.PREV_HASH


def test_edited_and_rehashed_entry_breaks_the_next_link(
    log: tuple[list[Entry], MemoryTree],
) -> None:
    rows = api(log[0])
    rows[4]["actor"] = "mallory"
    rehash_from(rows, 4)
    rows[5]["prev_hash"] = log[0][5].prev_hash  # attacker stops after one entry
    for i in range(5, N):
        rows[i]["entry_hash"] = log[0][i].entry_hash
    report = verify_entries(rows)
    assert (report.first_bad_seq, report.problem) == (5, Problem.PREV_HASH)


@pytest.mark.parametrize("seq", [0, 6, N - 2])
def test_deleted_entry(log: tuple[list[Entry], MemoryTree], seq: int) -> None:
    rows = api(log[0])
    del rows[seq]
    report = verify_entries(rows)
    assert (report.first_bad_seq, report.problem) == (seq, Problem.SEQUENCE)
    assert "missing" in report.message


def test_deleted_entry_with_renumbering(log: tuple[list[Entry], MemoryTree]) -> None:
    rows = api(log[0])
    del rows[6]
    for i in range(6, len(rows)):
        rows[i]["seq"] = i
    report = verify_entries(rows)
    assert (report.first_bad_seq, report.problem) == (6, Problem.PREV_HASH)


def test_reordered_entries(log: tuple[list[Entry], MemoryTree]) -> None:
    rows = api(log[0])
    rows[10], rows[11] = rows[11], rows[10]
    report = verify_entries(rows)
    assert (report.first_bad_seq, report.problem) == (10, Problem.SEQUENCE)


def test_swapped_row_contents_keeping_seq(log: tuple[list[Entry], MemoryTree]) -> None:
    rows = api(log[0])
    a, b = copy.deepcopy(rows[10]), copy.deepcopy(rows[11])
    a["seq"], b["seq"] = 11, 10
    rows[10], rows[11] = b, a
    report = verify_entries(rows)
    assert report.first_bad_seq == 10
    assert report.problem in {Problem.PREV_HASH, Problem.ENTRY_HASH}


def test_inserted_entry(log: tuple[list[Entry], MemoryTree]) -> None:
    rows = api(log[0])
    forged = copy.deepcopy(rows[8])
    forged["payload"] = {"forged": True}
    rows.insert(9, forged)
    report = verify_entries(rows)
    assert (report.first_bad_seq, report.problem) == (9, Problem.SEQUENCE)


def test_truncated_tail_needs_the_checkpoint(
    log: tuple[list[Entry], MemoryTree], key: Ed25519PrivateKey
) -> None:
    entries, tree = log
    rows = api(entries)[:-3]
    assert verify_entries(rows).ok  # a shorter log is self-consistent ...
    cp = sign_checkpoint(ORIGIN, N, tree.root(), key)
    report = checked(rows, key, checkpoint=cp)  # ... but not with the signed head
    assert (report.first_bad_seq, report.problem) == (N - 3, Problem.TRUNCATED)
    assert not report.checkpoints[0].ok


def test_fully_rehashed_rewrite_is_caught_by_the_checkpoint(
    log: tuple[list[Entry], MemoryTree], key: Ed25519PrivateKey
) -> None:
    entries, tree = log
    rows = api(entries)
    rows[12]["payload"] = {"rewritten": True}
    rows[12]["payload_sha256"] = Entry.create(
        GENESIS_PREV_HASH, _fields(rows[12]), {"rewritten": True}
    ).header.payload_sha256
    rehash_from(rows, 12)
    assert verify_entries(rows).ok  # the chain alone cannot tell
    latest = sign_checkpoint(ORIGIN, N, tree.root(), key)
    report = checked(rows, key, checkpoint=latest)
    assert report.problem == Problem.ROOT_MISMATCH
    assert report.suspect_range == (0, N - 1) and report.first_bad_seq is None
    # Earlier checkpoints the auditor kept narrow it down ...
    earlier = [sign_checkpoint(ORIGIN, s, tree.root(s), key) for s in (4, 10, 15)]
    report = checked(rows, key, checkpoint=latest, earlier_checkpoints=earlier)
    assert report.problem == Problem.ROOT_MISMATCH and report.suspect_range == (10, 14)
    assert [c.ok for c in report.checkpoints] == [False, True, True, False]
    # ... down to the exact entry.
    earlier = [sign_checkpoint(ORIGIN, s, tree.root(s), key) for s in (12, 13)]
    report = checked(rows, key, checkpoint=latest, earlier_checkpoints=earlier)
    assert (report.first_bad_seq, report.suspect_range) == (12, (12, 12))


def _fields(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in Header.model_fields if k != "payload_sha256"}


def test_bad_checkpoints(log: tuple[list[Entry], MemoryTree], key: Ed25519PrivateKey) -> None:
    entries, tree = log
    rows = api(entries)
    wrong_key = sign_checkpoint(ORIGIN, N, tree.root(), generate_key())
    report = checked(rows, key, checkpoint=wrong_key)
    assert report.problem == Problem.CHECKPOINT_INVALID and report.first_bad_seq is None
    assert "different key" in report.message
    tampered = sign_checkpoint(ORIGIN, N, tree.root(), key).replace(f"\n{N}\n", f"\n{N - 1}\n")
    assert checked(rows, key, checkpoint=tampered).problem == Problem.CHECKPOINT_INVALID
    no_key = verify_entries(rows, checkpoint=sign_checkpoint(ORIGIN, N, tree.root(), key))
    assert no_key.problem == Problem.CHECKPOINT_INVALID
    # A pre-verified Checkpoint object needs no key.
    cp = parse_and_verify_checkpoint(
        sign_checkpoint(ORIGIN, N, tree.root(), key), ORIGIN, key.public_key()
    )
    assert verify_entries(rows, checkpoint=cp).ok


def test_chain_break_reported_before_later_checkpoint(
    log: tuple[list[Entry], MemoryTree], key: Ed25519PrivateKey
) -> None:
    entries, tree = log
    rows = api(entries)
    rows[15]["payload"]["n"] = -1
    cps = [sign_checkpoint(ORIGIN, s, tree.root(s), key) for s in (N, 10)]
    report = checked(rows, key, checkpoint=cps[0], earlier_checkpoints=cps[1:])
    assert (report.first_bad_seq, report.problem) == (15, Problem.PAYLOAD_HASH)
    assert [c.ok for c in report.checkpoints] == [False, True]
    assert "not checked" in report.checkpoints[0].message


@pytest.mark.parametrize(
    ("change", "text"),
    [
        ({"seq": "3"}, "seq"),
        ({"time": "yesterday"}, "time"),
        ({"entry_hash": "AB" * 32}, "entry_hash"),
        ({"prev_hash": "00"}, "prev_hash"),
        ({"payload": [1, 2]}, "JSON object"),
        ({"purged": "no"}, "purged"),
        ({"payload": None}, "not marked purged"),
    ],
)
def test_malformed_entries(
    log: tuple[list[Entry], MemoryTree], change: dict[str, Any], text: str
) -> None:
    rows = api(log[0])
    rows[3].update(change)
    report = verify_entries(rows)
    assert report.first_bad_seq == 3
    assert report.problem in {Problem.MALFORMED, Problem.SEQUENCE}
    assert text in report.message


def test_missing_field_and_non_object(log: tuple[list[Entry], MemoryTree]) -> None:
    rows: list[Any] = api(log[0])
    del rows[2]["actor"]
    assert verify_entries(rows).problem == Problem.MALFORMED
    rows = [*api(log[0])]
    rows[2] = "not an entry"
    assert (verify_entries(rows).first_bad_seq, verify_entries(rows).problem) == (
        2,
        Problem.MALFORMED,
    )


def test_accumulator_matches_tree() -> None:
    entries, tree = build_log(45)
    acc = LogAccumulator()
    assert acc.root() == tree.root(0)
    for i, e in enumerate(entries):
        acc.append(leaf_hash(e.header))
        assert acc.root() == tree.root(i + 1)


def test_proofs_from_stored_nodes_verify_against_checkpoint(
    log: tuple[list[Entry], MemoryTree], key: Ed25519PrivateKey
) -> None:
    """What an auditor does with the HTTP API: checkpoint + proofs, all offline."""
    entries, tree = log
    old = parse_and_verify_checkpoint(
        sign_checkpoint(ORIGIN, 11, tree.root(11), key), ORIGIN, key.public_key()
    )
    new = parse_and_verify_checkpoint(
        sign_checkpoint(ORIGIN, N, tree.root(), key), ORIGIN, key.public_key()
    )
    for e in entries:
        proof = tree.inclusion_proof(e.seq, new.size)
        verify_inclusion(leaf_hash(e.header), e.seq, new.size, proof, new.root_hash)
    verify_consistency(
        old.size, new.size, tree.consistency_proof(old.size, new.size), old.root_hash, new.root_hash
    )


def test_fast_and_thorough_paths_agree() -> None:
    """Unusual but valid rows (dict subclasses, unicode, big ints) take the thorough path."""
    from collections import OrderedDict

    entries, tree = build_log(12)
    rows: list[Any] = api(entries)
    rows[3] = OrderedDict(rows[3])
    rows[4]["payload"] = OrderedDict(rows[4]["payload"])
    rows[5] = entries[5]  # an Entry object in the middle of dict rows
    report = verify_entries(rows)
    assert report.ok, report.message
    assert report.root_hash == tree.root().hex() == verify_entries(entries).root_hash
    # Odd but valid header values: unicode, escapes, huge installation id.
    prev = GENESIS_PREV_HASH
    odd: list[Entry] = []
    for seq, actor in enumerate(["ü\u2028\x7f", 'q"\\', "\n\t", "😀"]):
        e = Entry.create(
            prev,
            {
                "seq": seq,
                "time": "2026-02-28T23:59:59.999999999Z",
                "actor": actor,
                "installation_id": 2**63 + seq,
                "repository": None,
                "kind": "k",
                "subject": actor,
            },
            {"k": actor, "nested": {"z": [actor, {"a": None}]}},
        )
        odd.append(e)
        prev = bytes.fromhex(e.entry_hash)
    assert verify_entries(api(odd)).ok
    assert verify_entries(api(odd)).root_hash == verify_entries(odd).root_hash


def test_optional_leaf_hash_field_is_checked(log: tuple[list[Entry], MemoryTree]) -> None:
    entries = log[0]
    rows = api(entries)
    for row, e in zip(rows, entries, strict=True):
        row["leaf_hash"] = leaf_hash(e.header).hex()
    assert verify_entries(rows).ok
    rows[8]["leaf_hash"] = "00" * 32
    report = verify_entries(rows)
    assert (report.first_bad_seq, report.problem) == (8, Problem.LEAF_HASH)
