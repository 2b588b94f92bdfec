"""ledger.merkle against the published RFC 6962 / transparency-dev vectors (fixtures/merkle)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from ledger.merkle import EMPTY_ROOT, NodeID, ProofError, hash_children, hash_leaf, root_plan
from ledger.merkle_reference import (
    MemoryTree,
    naive_consistency_proof,
    naive_inclusion_proof,
    naive_root,
)
from ledger.merkle_verify import verify_consistency, verify_inclusion

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "merkle"
PROBES = FIXTURES / "transparency-dev-merkle-testdata"
VECTORS: dict[str, Any] = json.loads((FIXTURES / "rfc6962-reference-vectors.json").read_text())
REF = VECTORS["reference_tree"]


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def _probe_files(kind: str) -> list[Path]:
    return sorted((PROBES / kind).rglob("*.json"))


def test_all_probes_present() -> None:
    assert len(_probe_files("inclusion")) + len(_probe_files("consistency")) == 196


@pytest.mark.parametrize(
    "path", _probe_files("inclusion"), ids=lambda p: str(p.relative_to(PROBES))
)
def test_inclusion_probe(path: Path) -> None:
    probe = json.loads(path.read_text())
    args = (
        _b64(probe["leafHash"]),
        probe["leafIdx"],
        probe["treeSize"],
        [_b64(p) for p in probe["proof"] or []],
        _b64(probe["root"]),
    )
    if probe["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize(
    "path", _probe_files("consistency"), ids=lambda p: str(p.relative_to(PROBES))
)
def test_consistency_probe(path: Path) -> None:
    probe = json.loads(path.read_text())
    args = (
        probe["size1"],
        probe["size2"],
        [_b64(p) for p in probe["proof"] or []],
        _b64(probe["root1"]),
        _b64(probe["root2"]),
    )
    if probe["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


def test_the_two_documented_edge_cases_are_errors() -> None:
    # corpus README: size-0 consistency and zero-length hashes are errors.
    with pytest.raises(ProofError, match="empty tree"):
        verify_consistency(0, 0, [], b"x" * 32, b"x" * 32)
    with pytest.raises(ProofError, match="zero-length"):
        verify_inclusion(b"", 0, 1, [], b"")


def test_hasher_vectors() -> None:
    cases = VECTORS["hasher_vectors"]["cases"]
    assert len(cases) == 4
    for case in cases:
        if case["op"] == "empty_root":
            got = EMPTY_ROOT
        elif case["op"] == "hash_leaf":
            got = hash_leaf(bytes.fromhex(case["input_hex"]))
        else:
            got = hash_children(bytes.fromhex(case["left_hex"]), bytes.fromhex(case["right_hex"]))
        assert got.hex() == case["want"], case["desc"]


@pytest.fixture(scope="module")
def ref_tree() -> MemoryTree:
    tree = MemoryTree()
    for leaf in REF["leaf_inputs_hex"]:
        tree.append_data(bytes.fromhex(leaf))
    return tree


def test_reference_tree_nodes(ref_tree: MemoryTree) -> None:
    want = {
        NodeID(level, index): bytes.fromhex(h)
        for level, hashes in enumerate(REF["node_hashes_by_level"])
        for index, h in enumerate(hashes)
    }
    assert ref_tree.store.nodes == want


def test_reference_roots_and_compact_ranges(ref_tree: MemoryTree) -> None:
    leaves = [hash_leaf(bytes.fromhex(x)) for x in REF["leaf_inputs_hex"]]
    for size, want in enumerate(REF["root_hashes_by_tree_size"]):
        assert ref_tree.root(size).hex() == want
        assert naive_root(leaves[:size]).hex() == want
    for size, ranges in enumerate(REF["compact_ranges_by_tree_size"]):
        assert [list(node) for node in root_plan(size).node_ids] == ranges


def test_reference_inclusion_proofs(ref_tree: MemoryTree) -> None:
    leaves = [hash_leaf(bytes.fromhex(x)) for x in REF["leaf_inputs_hex"]]
    for case in REF["inclusion_proofs"]["cases"]:
        index, size = case["leaf_index"], case["tree_size"]
        proof = ref_tree.inclusion_proof(index, size)
        assert [p.hex() for p in proof] == case["proof"]
        assert naive_inclusion_proof(leaves[:size], index) == proof
        verify_inclusion(leaves[index], index, size, proof, ref_tree.root(size))


def test_reference_consistency_proofs(ref_tree: MemoryTree) -> None:
    leaves = [hash_leaf(bytes.fromhex(x)) for x in REF["leaf_inputs_hex"]]
    for case in REF["consistency_proofs"]["cases"]:
        size1, size2 = case["size1"], case["size2"]
        proof = ref_tree.consistency_proof(size1, size2)
        assert [p.hex() for p in proof] == case["proof"]
        assert naive_consistency_proof(leaves[:size2], size1) == proof
        verify_consistency(size1, size2, proof, ref_tree.root(size1), ref_tree.root(size2))


def test_golden_roots_through_incremental_append() -> None:
    cases = VECTORS["large_tree_roots"]["cases"]
    biggest = max(case["tree_size"] for case in cases)
    tree = MemoryTree()
    for i in range(biggest):
        tree.append_data(bytes([i & 0xFF, (i >> 8) & 0xFF]))
    # Stored nodes never change, so every earlier size is still answerable.
    for case in cases:
        size = case["tree_size"]
        assert tree.root(size).hex() == case["root_hex"], size
        assert tree.root(size) == _b64(case["root_b64"])
    assert tree.root(0) == EMPTY_ROOT
    assert len(tree.store) == 2 * biggest - bin(biggest).count("1")
    # Proofs at the largest size verify against the golden root.
    golden = tree.root(biggest)
    for index in (0, 1, 4095, 4096, 40000, biggest - 1):
        verify_inclusion(tree.leaf_hash(index), index, biggest, tree.inclusion_proof(index), golden)
    for case in cases:
        size = case["tree_size"]
        proof = tree.consistency_proof(size, biggest)
        verify_consistency(size, biggest, proof, tree.root(size), golden)
