"""ledger.walk: the fast paths give exactly the verdict of the thorough per-entry check.

The reference below runs `ledger.entry_checks.check_entry` on every entry (stored rows through
`stored_to_api`, as the auditor API serves them) — the definition of the semantics. Random edits
of valid logs, in both shapes, must get the same verdict, message, counts and hashes from the
fast paths; so must resuming a walk page by page.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.canonical import canonical_json
from ledger.entry import GENESIS_PREV_HASH, Entry, format_time
from ledger.entry_checks import STORED_FIELDS, BadEntry, check_entry, stored_to_api
from ledger.merkle import MemoryTree, hash_leaf
from ledger.verify import verify_entries, verify_stored
from ledger.walk import ChainWalk, LogAccumulator

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def build(n: int) -> list[Entry]:
    out: list[Entry] = []
    prev = GENESIS_PREV_HASH
    for seq in range(n):
        fields = {
            "seq": seq,
            "time": format_time(T0 + timedelta(seconds=seq * 3601)),
            "actor": ["maestro", "octo-cat", 'q"\\é'][seq % 3],
            "installation_id": [42, None, 2**40][seq % 3],
            "repository": None if seq % 4 == 3 else "octo/repo",
            "kind": "checkrun.completed",
            "subject": None if seq % 5 == 4 else f"pr:octo/repo#{seq}",
        }
        payload = {"n": seq, "f": 2.5, "s": "✓\n", "l": [1, None, {"z": True}]}
        entry = Entry.create(prev, fields, payload)
        out.append(entry)
        prev = bytes.fromhex(entry.entry_hash)
    return out


def stored(entry: Entry) -> list[Any]:
    api = entry.to_api()
    row = [api[name] for name in STORED_FIELDS]
    row[STORED_FIELDS.index("payload")] = (
        None if entry.payload is None else canonical_json(entry.payload).decode()
    )
    return row


def reference(items: list[Any]) -> dict[str, Any]:
    """The verdict of `check_entry` alone."""
    acc, prev, purged, bad = LogAccumulator(), GENESIS_PREV_HASH, 0, None
    for index, item in enumerate(items):
        try:
            data, was_purged, prev = check_entry(item, index, prev)
        except BadEntry as exc:
            bad = (index, exc.problem, exc.message)
            break
        acc.append(hash_leaf(data))
        purged += was_purged
    return {"size": acc.size, "root": acc.root(), "head": prev, "purged": purged, "bad": bad}


def walked(walk: ChainWalk) -> dict[str, Any]:
    bad = None if walk.bad is None else (walk.bad_index, walk.bad.problem, walk.bad.message)
    return {
        "size": walk.size,
        "root": walk.root(),
        "head": walk.prev,
        "purged": walk.purged,
        "bad": bad,
    }


ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 2**70),
    st.sampled_from(
        [
            "",
            "2026-11-24T12:00:00Z",
            "2026-02-30T12:00:00.1Z",
            "2026-11-24t12:00:00Z",
            "0" * 64,
            "A" * 64,
            "\ud800",
            '{"n":1}',
            '{"n": 1}',
            '{"b":1,"a":2}',
            '{"a":NaN}',
            "[1]",
            '{"a":"\\u00e9"}',
            '{"a":"\\ud800"}',
            "{" * 300 + "}" * 300,
            "{oops",
        ]
    ),
    st.text(max_size=8),
    st.just({"n": 1}),
    st.just([1]),
)
EDITS = st.lists(
    st.tuples(st.integers(0, 11), st.sampled_from([*STORED_FIELDS, "purged"]), ODD_VALUES),
    max_size=3,
)


def _apply_stored(rows: list[list[Any]], edits: list[tuple[int, str, Any]]) -> None:
    for index, name, value in edits:
        if name == "purged":
            rows[index][STORED_FIELDS.index("payload")] = None
        else:
            rows[index][STORED_FIELDS.index(name)] = value


@settings(max_examples=300, deadline=None)
@given(edits=EDITS, rehash=st.booleans(), page=st.integers(1, 12))
def test_stored_rows_fast_path_agrees_with_the_thorough_check(
    edits: list[tuple[int, str, Any]], rehash: bool, page: int
) -> None:
    rows = [stored(e) for e in build(12)]
    _apply_stored(rows, edits)
    if rehash:  # an attacker who recomputes every digest and hash after the edits
        _rehash(rows)
    want = reference([stored_to_api(r) for r in rows])
    walk = ChainWalk()
    for start in range(0, len(rows), page):
        if not walk.feed_stored([tuple(r) for r in rows[start : start + page]]):
            break
    assert walked(walk) == want


def _rehash(rows: list[list[Any]]) -> None:
    """Recompute digests and chain hashes over the edited values, formatted the way the fast path
    formats a header (whatever their types): an attacker aiming at the fast path."""
    prev = GENESIS_PREV_HASH
    col = {name: i for i, name in enumerate(STORED_FIELDS)}
    for row in rows:
        text = row[col["payload"]]
        if isinstance(text, str):
            digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
            row[col["payload_sha256"]] = digest

        def js(value: Any) -> str:
            return "null" if value is None else json.dumps(value, ensure_ascii=False)

        data = (
            f'{{"actor":{js(row[col["actor"]])},"installation_id":{js(row[col["installation_id"]])},'
            f'"kind":{js(row[col["kind"]])},"payload_sha256":"{row[col["payload_sha256"]]}",'
            f'"repository":{js(row[col["repository"]])},"seq":{row[col["seq"]]},'
            f'"subject":{js(row[col["subject"]])},"time":"{row[col["time"]]}"}}'
        ).encode("utf-8", "surrogatepass")
        entry = hashlib.sha256(prev + data).digest()
        row[col["prev_hash"]] = prev.hex()
        row[col["entry_hash"]] = entry.hex()
        prev = entry


@settings(max_examples=300, deadline=None)
@given(edits=EDITS, page=st.integers(1, 12))
def test_api_rows_fast_path_agrees_with_the_thorough_check(
    edits: list[tuple[int, str, Any]], page: int
) -> None:
    items: list[Any] = [e.to_api() for e in build(12)]
    for index, name, value in edits:
        if name == "payload" and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        items[index][name] = value
    want = reference(items)
    walk = ChainWalk()
    for start in range(0, len(items), page):
        if not walk.feed(items[start : start + page]):
            break
    assert walked(walk) == want


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("payload", '{"n": 3}', "payload_hash_mismatch"),  # not canonical
        ("payload", '{"b":1,"a":2}', "payload_hash_mismatch"),  # keys out of order
        ("payload", '{"a":"\\u00e9"}', "payload_hash_mismatch"),  # needless escape
        ("payload", "[1]", "malformed_entry"),  # not an object
        ("payload", '{"a":NaN}', "malformed_entry"),
        ("payload", '{"a":' * 300 + "1" + "}" * 300, "malformed_entry"),  # too deep
        ("installation_id", True, "malformed_entry"),
        ("installation_id", 1.5, "malformed_entry"),
        ("seq", 3.0, "malformed_entry"),
        ("actor", "", "malformed_entry"),
        ("time", "2026-02-30T12:00:00Z", "malformed_entry"),
    ],
)
def test_rows_rehashed_around_an_invalid_value_are_judged_as_the_api_shape_is(
    field: str, value: Any, problem: str
) -> None:
    """Hashes recomputed to match an invalid value: the fast paths must not accept it."""
    rows = [stored(e) for e in build(6)]
    rows[3][STORED_FIELDS.index(field)] = value
    _rehash(rows)
    report = verify_stored([tuple(r) for r in rows])
    assert (report.first_bad_seq, report.problem) == (3, problem), report.message
    assert report == verify_entries([stored_to_api(r) for r in rows])


def test_walk_records_roots_and_the_nodes_it_completes() -> None:
    entries = build(11)
    tree = MemoryTree()
    walk = ChainWalk({0, 4, 7, 11}, keep_nodes=True)
    completed: dict[tuple[int, int], bytes] = {}
    for start in range(0, 11, 3):
        assert walk.feed(entries[start : start + 3])
        first, levels = walk.take_nodes()
        for level, hashes in enumerate(levels):
            for i, value in enumerate(hashes):
                completed[(level, (first >> level) + i)] = value
    for e in entries:
        tree.append(hash_leaf(canonical_json(e.header.fields())))
    assert {(n.level, n.index): h for n, h in tree.store.nodes.items()} == completed
    assert walk.roots == {size: tree.root(size) for size in (0, 4, 7, 11)}
    walk.want_root(11)
    assert walk.roots[11] == tree.root(11) == walk.root()
