"""ledger.walk: the fast paths give exactly the verdict of the thorough per-entry check.

The reference below runs `ledger.entry_checks.check_entry` on every entry (stored rows through
`stored_to_api`, as the auditor API serves them) — the definition of the semantics. Random edits
of valid logs, in both shapes, must get the same verdict, message, counts and hashes from the
fast paths; so must resuming a walk page by page.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.ledger_rows import EDITS, apply_stored, build, reference, rehash_rows, stored

from ledger.canonical import canonical_json
from ledger.entry_checks import STORED_FIELDS, stored_to_api
from ledger.merkle import hash_leaf
from ledger.merkle_reference import MemoryTree
from ledger.verify import verify_entries, verify_stored
from ledger.walk import ChainWalk


def walked(walk: ChainWalk) -> dict[str, Any]:
    bad = None if walk.bad is None else (walk.bad_index, walk.bad.problem, walk.bad.message)
    return {
        "size": walk.size,
        "root": walk.root(),
        "head": walk.prev,
        "purged": walk.purged,
        "bad": bad,
    }


@settings(max_examples=300, deadline=None)
@given(edits=EDITS, rehash=st.booleans(), page=st.integers(1, 12))
def test_stored_rows_fast_path_agrees_with_the_thorough_check(
    edits: list[tuple[int, str, Any]], rehash: bool, page: int
) -> None:
    rows = [stored(e) for e in build(12)]
    apply_stored(rows, edits)
    if rehash:  # an attacker who recomputes every digest and hash after the edits
        rehash_rows(rows)
    want = reference([stored_to_api(r) for r in rows])
    walk = ChainWalk()
    for start in range(0, len(rows), page):
        if not walk.feed_stored([tuple(r) for r in rows[start : start + page]]):
            break
    assert walked(walk) == want


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
    rehash_rows(rows)
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
