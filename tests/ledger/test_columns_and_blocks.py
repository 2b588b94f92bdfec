"""ledger.columns and ChainWalk.join: the whole-page check and verification in separate blocks.

`check_page` may only accept a page whose every row the thorough check accepts, with the same
leaf hashes; it must also really accept well-formed pages (purged payloads and null fields
included), or the fast path would be a silent no-op. `merkle_extend` must build exactly the
tree of the per-leaf compact range. Blocks verified by separate walks and joined in order must
give what one walk over the whole log gives: size, root, head, roots at checkpoint sizes, nodes.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.ledger_rows import EDITS, apply_stored, build, reference, rehash_rows, stored

import ledger.columns
import ledger.compact_range
from ledger import hashbatch
from ledger.canonical import canonical_json
from ledger.columns import PageOk, check_api_page, check_page
from ledger.compact_range import merkle_extend
from ledger.entry import GENESIS_PREV_HASH
from ledger.entry_checks import STORED_FIELDS, stored_to_api
from ledger.merkle import hash_leaf
from ledger.merkle_reference import MemoryTree
from ledger.walk import ChainWalk, LogAccumulator, fold

PAYLOAD = STORED_FIELDS.index("payload")


def hashing() -> Iterator[str]:
    """Run the body once per implementation of ledger.hashbatch (the C accelerator when it was
    built, and the Python reference), patched into the modules that use it."""
    names = ("joined", "hex_of_texts", "headers", "chain")
    choices = [("python", {n: getattr(hashbatch, f"py_{n}") for n in names})]
    if hashbatch.ACCELERATED:
        choices.append(("c", {n: getattr(hashbatch, n) for n in names}))
    for name, functions in choices:
        with (
            patch.object(ledger.columns, "hex_of_texts", functions["hex_of_texts"]),
            patch.object(ledger.columns, "headers", functions["headers"]),
            patch.object(ledger.columns, "chain", functions["chain"]),
            patch.object(ledger.compact_range, "joined", functions["joined"]),
        ):
            yield name


def rows_of(n: int) -> list[tuple[Any, ...]]:
    return [tuple(stored(e)) for e in build(n)]


@pytest.mark.parametrize("implementation", ["python", "c"])
def test_a_well_formed_page_is_accepted_whole(implementation: str) -> None:
    if implementation not in hashing_names():
        pytest.skip("the C accelerator was not built here")
    for name in hashing():
        if name == implementation:
            _accept_whole()


def hashing_names() -> list[str]:
    return ["python", "c"] if hashbatch.ACCELERATED else ["python"]


def _accept_whole() -> None:
    rows = [list(r) for r in rows_of(12)]
    rows[5][PAYLOAD] = None  # a purged payload keeps its hash
    page = [tuple(r) for r in rows]
    ok = check_page(page, 0, GENESIS_PREV_HASH.hex(), set())
    assert ok is not None
    assert ok.purged == 1
    assert ok.last_hex == page[-1][-1] and ok.last_hash.hex() == page[-1][-1]
    entries = build(12)
    assert ok.leaves == [hash_leaf(canonical_json(e.header.fields())) for e in entries]


@pytest.mark.parametrize("odd", [5, None, b"\x00" * 32, 1.5])
def test_a_hash_of_another_type_linked_to_the_next_row_is_left_to_the_row_path(odd: Any) -> None:
    """prev_hash equal to the entry_hash before it passes the link check whatever its type."""
    rows = [list(r) for r in rows_of(6)]
    rows[2][STORED_FIELDS.index("entry_hash")] = odd
    rows[3][STORED_FIELDS.index("prev_hash")] = odd
    page = [tuple(r) for r in rows]
    for _ in hashing():
        assert check_page(page, 0, GENESIS_PREV_HASH.hex(), set()) is None
    want = reference([stored_to_api(r) for r in page])
    walk = ChainWalk()
    walk.feed_stored(page)
    assert (walk.size, walk.bad_index, walk.bad and walk.bad.problem) == (
        want["size"],
        want["bad"][0],
        want["bad"][1],
    )


def test_a_page_that_does_not_follow_on_is_refused() -> None:
    rows = rows_of(8)
    assert check_page(rows[4:], 4, rows[3][-1], set()) is not None
    assert check_page(rows[4:], 3, rows[3][-1], set()) is None  # wrong position
    assert check_page(rows[4:], 4, rows[2][-1], set()) is None  # wrong previous hash
    assert check_page([], 0, GENESIS_PREV_HASH.hex(), set()) is None
    assert check_page([rows[0][:-1]], 0, GENESIS_PREV_HASH.hex(), set()) is None  # short row


def _agrees(ok: PageOk | None, want: dict[str, Any], edited: bool) -> None:
    """A page accepted only if the thorough check accepts all 12 entries, with the same root,
    head and purged count; an untouched page always accepted."""
    if ok is not None:
        assert want["bad"] is None and want["size"] == 12
        acc = LogAccumulator()
        for leaf in ok.leaves:
            acc.append(leaf)
        assert (acc.root(), ok.last_hash, ok.purged) == (want["root"], want["head"], want["purged"])
    elif not edited:
        pytest.fail("an untouched page must be accepted")


@settings(max_examples=400, deadline=None)
@given(edits=EDITS, rehash=st.booleans())
def test_check_page_accepts_only_what_the_thorough_check_accepts(
    edits: list[tuple[int, str, Any]], rehash: bool
) -> None:
    rows = [stored(e) for e in build(12)]
    apply_stored(rows, edits)
    if rehash:
        rehash_rows(rows)
    want = reference([stored_to_api(r) for r in rows])
    for _ in hashing():
        ok = check_page([tuple(r) for r in rows], 0, GENESIS_PREV_HASH.hex(), set())
        _agrees(ok, want, edited=bool(edits))


@settings(max_examples=200, deadline=None)
@given(
    before=st.integers(0, 70),
    chunks=st.lists(st.integers(0, 40), max_size=4),
)
def test_merkle_extend_builds_the_same_tree_as_one_leaf_at_a_time(
    before: int, chunks: list[int]
) -> None:
    for _ in hashing():
        _extend_in_chunks(before, chunks)


def _extend_in_chunks(before: int, chunks: list[int]) -> None:
    leaves = [bytes([i % 256, i // 256]) * 16 for i in range(before + sum(chunks))]
    tree = MemoryTree()
    stack: list[bytes] = []
    acc = LogAccumulator()
    for leaf in leaves[:before]:
        acc.append(leaf)
        tree.append(leaf)
    stack = list(acc._stack)
    size, completed = before, {}
    for n in chunks:
        levels: list[list[bytes]] = [[]]
        merkle_extend(stack, size, leaves[size : size + n], levels)
        for level, hashes in enumerate(levels):
            for i, value in enumerate(hashes):
                completed[(level, (size >> level) + i)] = value
        for leaf in leaves[size : size + n]:
            tree.append(leaf)
        size += n
        assert fold(stack) == tree.root(size)
    nodes = {(n.level, n.index): h for n, h in tree.store.nodes.items()}
    assert completed == {k: v for k, v in nodes.items() if (k[1] + 1) << k[0] > before}


@pytest.mark.parametrize(("size", "block"), [(37, 8), (64, 16), (5, 4), (33, 1), (40, 64)])
def test_blocks_joined_in_order_equal_one_walk(size: int, block: int) -> None:
    rows = rows_of(size)
    wanted = {0, 3, 8, 16, 21, size}
    whole = ChainWalk(wanted, keep_nodes=True)
    assert whole.feed_stored(rows)
    _, all_levels = whole.take_nodes()
    joined = ChainWalk(wanted, keep_nodes=True)
    nodes: dict[tuple[int, int], bytes] = {}
    for start in range(0, size, block):
        prev = bytes.fromhex(rows[start][STORED_FIELDS.index("prev_hash")])
        part = ChainWalk(wanted, keep_nodes=True, start=start, prev=prev)
        assert part.feed_stored(rows[start : start + block])
        first, levels = part.take_nodes()
        for level, hashes in enumerate(levels):
            for i, value in enumerate(hashes):
                nodes[(level, (first >> level) + i)] = value
        assert joined.join(part.block())
    first, levels = joined.take_nodes()
    for level, hashes in enumerate(levels):  # the nodes above the blocks, completed by joining
        for i, value in enumerate(hashes):
            assert (level, i) not in nodes
            nodes[(level, (first >> level) + i)] = value
    assert nodes == {
        (level, i): value
        for level, hashes in enumerate(all_levels)
        for i, value in enumerate(hashes)
    }
    assert (joined.size, joined.read, joined.prev, joined.root()) == (
        whole.size,
        whole.read,
        whole.prev,
        whole.root(),
    )
    assert joined.roots == whole.roots


def test_a_block_that_does_not_follow_on_is_not_joined() -> None:
    rows = rows_of(16)
    walk = ChainWalk()
    assert walk.feed_stored(rows[:8])
    stranger = ChainWalk(start=8, prev=bytes(32))  # claims another predecessor
    assert not stranger.feed_stored(rows[8:])  # its first row does not link to zeros
    relinked = ChainWalk(start=8, prev=bytes.fromhex(rows[8][STORED_FIELDS.index("prev_hash")]))
    assert relinked.feed_stored(rows[8:])
    gap = ChainWalk(start=12, prev=bytes.fromhex(rows[12][STORED_FIELDS.index("prev_hash")]))
    assert gap.feed_stored(rows[12:])
    assert not walk.join(gap.block())  # entries 8..11 missing
    assert walk.join(relinked.block())
    assert walk.size == 16
    with pytest.raises(ValueError, match="not a verified block"):
        stranger.block()


def test_a_misaligned_block_is_refused() -> None:
    rows = rows_of(12)
    walk = ChainWalk()
    assert walk.feed_stored(rows[:4])
    part = ChainWalk(start=4, prev=bytes.fromhex(rows[4][STORED_FIELDS.index("prev_hash")]))
    assert part.feed_stored(rows[4:12])  # 8 entries cannot sit at 4
    with pytest.raises(ValueError, match="a block of 8 entries cannot start at 4"):
        walk.join(part.block())


def _api_items(n: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = [e.to_api() for e in build(n)]
    items[3] = {**items[3], "payload": None, "purged": True}
    items[5]["leaf_hash"] = hash_leaf(canonical_json(build(n)[5].header.fields())).hex()
    return items


def test_a_well_formed_api_page_is_accepted_whole() -> None:
    items = _api_items(12)
    for _ in hashing():
        ok = check_api_page(items, 0, GENESIS_PREV_HASH.hex(), set())
        assert ok is not None and ok.purged == 1
        assert ok.leaves == [hash_leaf(canonical_json(e.header.fields())) for e in build(12)]


@settings(max_examples=400, deadline=None)
@given(edits=EDITS)
def test_check_api_page_accepts_only_what_the_thorough_check_accepts(
    edits: list[tuple[int, str, Any]],
) -> None:
    items = _api_items(12)
    for index, name, value in edits:
        if name == "payload" and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        items[index] = {**items[index], name: value}
    want = reference(items)
    for _ in hashing():
        ok = check_api_page(items, 0, GENESIS_PREV_HASH.hex(), set())
        _agrees(ok, want, edited=bool(edits))
