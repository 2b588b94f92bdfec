"""Property tests: the stored-node path equals the naive RFC 6962 recursion, proofs verify,
and any single bit flip breaks them."""

from __future__ import annotations

import hashlib
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.merkle import (
    EMPTY_ROOT,
    NodeID,
    ProofError,
    append,
    append_nodes,
    append_plan,
    compact_range,
    consistency_plan,
    consistency_proof,
    inclusion_plan,
    inclusion_proof,
    root,
    root_plan,
)
from ledger.merkle_reference import (
    MemoryTree,
    naive_consistency_proof,
    naive_inclusion_proof,
    naive_root,
)
from ledger.merkle_verify import verify_consistency, verify_inclusion

MAX_SIZE = 1500


def _leaf(i: int) -> bytes:
    return hashlib.sha256(b"\x00" + i.to_bytes(4, "big")).digest()


@cache
def _tree() -> MemoryTree:
    tree = MemoryTree()
    for i in range(MAX_SIZE):
        tree.append(_leaf(i))
    return tree


LEAVES = [_leaf(i) for i in range(MAX_SIZE)]


@st.composite
def index_and_size(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(1, MAX_SIZE))
    return draw(st.integers(0, size - 1)), size


@st.composite
def size_pair(draw: st.DrawFn) -> tuple[int, int]:
    size2 = draw(st.integers(1, MAX_SIZE))
    return draw(st.integers(1, size2)), size2


def _flip(proof: list[bytes], element: int, bit: int) -> list[bytes]:
    out = list(proof)
    b = bytearray(out[element])
    b[bit // 8] ^= 1 << (bit % 8)
    out[element] = bytes(b)
    return out


@settings(max_examples=300, deadline=None)
@given(index_and_size())
def test_inclusion_stored_equals_naive_and_verifies(case: tuple[int, int]) -> None:
    index, size = case
    tree = _tree()
    proof = tree.inclusion_proof(index, size)
    assert proof == naive_inclusion_proof(LEAVES[:size], index)
    the_root = tree.root(size)
    assert the_root == naive_root(LEAVES[:size])
    verify_inclusion(LEAVES[index], index, size, proof, the_root)


@settings(max_examples=300, deadline=None)
@given(size_pair())
def test_consistency_stored_equals_naive_and_verifies(case: tuple[int, int]) -> None:
    size1, size2 = case
    tree = _tree()
    proof = tree.consistency_proof(size1, size2)
    assert proof == naive_consistency_proof(LEAVES[:size2], size1)
    verify_consistency(size1, size2, proof, tree.root(size1), tree.root(size2))


@settings(max_examples=100, deadline=None)
@given(index_and_size(), st.data())
def test_inclusion_any_bit_flip_fails(case: tuple[int, int], data: st.DataObject) -> None:
    index, size = case
    tree = _tree()
    proof = tree.inclusion_proof(index, size)
    the_root = tree.root(size)
    if proof:
        element = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 255))
        with pytest.raises(ProofError):
            verify_inclusion(LEAVES[index], index, size, _flip(proof, element, bit), the_root)
    bit = data.draw(st.integers(0, 255))
    with pytest.raises(ProofError):
        verify_inclusion(_flip([LEAVES[index]], 0, bit)[0], index, size, proof, the_root)
    with pytest.raises(ProofError):
        verify_inclusion(LEAVES[index], index, size, proof, _flip([the_root], 0, bit)[0])


@settings(max_examples=100, deadline=None)
@given(size_pair(), st.data())
def test_consistency_any_bit_flip_fails(case: tuple[int, int], data: st.DataObject) -> None:
    size1, size2 = case
    tree = _tree()
    proof = tree.consistency_proof(size1, size2)
    root1, root2 = tree.root(size1), tree.root(size2)
    if proof:
        element = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 255))
        with pytest.raises(ProofError):
            verify_consistency(size1, size2, _flip(proof, element, bit), root1, root2)
    bit = data.draw(st.integers(0, 255))
    with pytest.raises(ProofError):
        verify_consistency(size1, size2, proof, _flip([root1], 0, bit)[0], root2)
    with pytest.raises(ProofError):
        verify_consistency(size1, size2, proof, root1, _flip([root2], 0, bit)[0])


def test_every_byte_flip_exhaustive_small() -> None:
    """Flipping every single bit of every proof element fails, for all proofs up to size 20."""
    tree = _tree()
    for size in range(1, 21):
        the_root = tree.root(size)
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            for element in range(len(proof)):
                for bit in range(256):
                    with pytest.raises(ProofError):
                        verify_inclusion(
                            LEAVES[index], index, size, _flip(proof, element, bit), the_root
                        )
        for size1 in range(1, size):
            proof = tree.consistency_proof(size1, size)
            for element in range(len(proof)):
                for bit in range(0, 256, 7):
                    with pytest.raises(ProofError):
                        verify_consistency(
                            size1, size, _flip(proof, element, bit), tree.root(size1), the_root
                        )


@settings(max_examples=200, deadline=None)
@given(index_and_size(), st.integers(-3, 3).filter(bool))
def test_wrong_index_or_length_fails(case: tuple[int, int], delta: int) -> None:
    index, size = case
    tree = _tree()
    proof = tree.inclusion_proof(index, size)
    the_root = tree.root(size)
    if 0 <= index + delta < size:
        with pytest.raises(ProofError):
            verify_inclusion(LEAVES[index], index + delta, size, proof, the_root)
    # (A different size is not always detectable from the proof alone -- e.g. leaf 0
    # of 3 and of 4 hash identically -- which is why roots are signed with their size.)
    with pytest.raises(ProofError):
        verify_inclusion(
            LEAVES[index], index, size, [*proof, proof[0] if proof else the_root], the_root
        )
    if proof:
        with pytest.raises(ProofError):
            verify_inclusion(LEAVES[index], index, size, proof[:-1], the_root)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 1 << 40), st.integers(0, 1 << 20))
def test_compact_range_covers_exactly(begin: int, length: int) -> None:
    end = begin + length
    nodes = compact_range(begin, end)
    pos = begin
    for node in nodes:
        lo, hi = node.coverage()
        assert lo == pos
        assert node.index << node.level == lo
        pos = hi
    assert pos == end
    assert len(nodes) <= 2 * max(end.bit_length(), 1)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 1 << 62), st.data())
def test_plans_are_logarithmic_at_any_size(size: int, data: st.DataObject) -> None:
    """O(log n) node lookups, and every node needed is a stored (complete) perfect subtree."""
    index = data.draw(st.integers(0, size - 1))
    size1 = data.draw(st.integers(1, size))
    bound = 2 * size.bit_length() + 2
    for plan in (inclusion_plan(index, size), consistency_plan(size1, size)):
        ids = plan.node_ids
        assert len(ids) <= bound
        for node in ids:
            assert node.coverage()[1] <= size
    assert len(append_plan(size)) <= size.bit_length()


def test_getter_functions_and_append_plan() -> None:
    nodes: dict[NodeID, bytes] = {}
    for i in range(100):
        needed = append_plan(i)
        assert all(n in nodes for n in needed)
        new = append(i, LEAVES[i], nodes.__getitem__)
        assert new == append_nodes(i, LEAVES[i], [nodes[n] for n in needed])
        nodes.update(new)
        assert root(i + 1, nodes.__getitem__) == naive_root(LEAVES[: i + 1])
    assert inclusion_proof(7, 100, nodes.__getitem__) == inclusion_plan(7, 100).assemble(nodes)
    assert root_plan(0).assemble_root({}) == EMPTY_ROOT
    assert root_plan(37).assemble_root(nodes) == naive_root(LEAVES[:37])
    with pytest.raises(ValueError, match="root plan"):
        inclusion_plan(3, 37).assemble_root(nodes)
    assert consistency_proof(7, 100, nodes.__getitem__) == naive_consistency_proof(LEAVES[:100], 7)


def test_argument_errors() -> None:
    tree = _tree()
    with pytest.raises(ValueError, match="not in a tree"):
        inclusion_plan(5, 5)
    with pytest.raises(ValueError, match="meaningless"):
        consistency_plan(0, 5)
    with pytest.raises(ValueError, match="larger"):
        consistency_plan(6, 5)
    with pytest.raises(ValueError, match="beyond"):
        tree.root(MAX_SIZE + 1)
    with pytest.raises(ValueError, match="non-negative"):
        root(-1, tree.store.get)
    with pytest.raises(KeyError, match="not stored"):
        MemoryTree().store.get(NodeID(0, 0))
    with pytest.raises(ProofError, match="32"):
        verify_inclusion(b"short", 0, 1, [], b"short")
    with pytest.raises(ProofError, match="smaller"):
        verify_consistency(2, 1, [], b"a", b"b")
    with pytest.raises(ProofError, match="must be bytes"):
        verify_inclusion("00" * 32, 0, 1, [], b"x" * 32)  # type: ignore[arg-type]
