"""Reference RFC 6962 logs for tests and benchmarks: an in-memory log over stored nodes
(:class:`MemoryTree`, the same maths as the database) and direct, O(n) transcriptions of the
RFC 6962 §2.1 definitions (:func:`naive_root`, :func:`naive_inclusion_proof`,
:func:`naive_consistency_proof`) that recompute everything from the leaf hashes. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ledger.merkle import (
    EMPTY_ROOT,
    NodeID,
    append,
    check_size,
    consistency_proof,
    hash_children,
    hash_leaf,
    inclusion_proof,
    root,
    split_size,
)

__all__ = [
    "MemoryNodeStore",
    "MemoryTree",
    "naive_consistency_proof",
    "naive_inclusion_proof",
    "naive_root",
]


class MemoryNodeStore:
    """A dict of perfect-subtree nodes: the in-memory stand-in for the node table."""

    __slots__ = ("nodes",)

    def __init__(self) -> None:
        self.nodes: dict[NodeID, bytes] = {}

    def get(self, node: NodeID) -> bytes:
        try:
            return self.nodes[node]
        except KeyError:
            raise KeyError(f"node {node} is not stored") from None

    def put_many(self, items: Iterable[tuple[NodeID, bytes]]) -> None:
        for node, value in items:
            old = self.nodes.get(node)
            if old is not None and old != value:
                raise ValueError(f"node {node} already stored with a different hash")
            self.nodes[node] = value

    def __len__(self) -> int:
        return len(self.nodes)


class MemoryTree:
    """An append-only RFC 6962 log kept in a :class:`MemoryNodeStore`.

    Any earlier size can be proven against, since stored nodes never change.
    """

    def __init__(self, store: MemoryNodeStore | None = None, size: int = 0) -> None:
        self.store = store if store is not None else MemoryNodeStore()
        self.size = size

    def append(self, leaf_hash: bytes) -> int:
        """Append one leaf hash; returns its index."""
        index = self.size
        self.store.put_many(append(index, leaf_hash, self.store.get))
        self.size = index + 1
        return index

    def append_data(self, data: bytes) -> int:
        """Append raw leaf data (hashed with :func:`hash_leaf`); returns its index."""
        return self.append(hash_leaf(data))

    def root(self, size: int | None = None) -> bytes:
        return root(self._size(size), self.store.get)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(index, self._size(size), self.store.get)

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        return consistency_proof(size1, self._size(size2), self.store.get)

    def leaf_hash(self, index: int) -> bytes:
        if not 0 <= index < self.size:
            raise IndexError(f"leaf {index} is not in a tree of size {self.size}")
        return self.store.get(NodeID(0, index))

    def _size(self, size: int | None) -> int:
        if size is None:
            return self.size
        check_size("size", size)
        if size > self.size:
            raise ValueError(f"tree size {size} is beyond the current size {self.size}")
        return size


def naive_root(leaves: Sequence[bytes]) -> bytes:
    """MTH over the given *leaf hashes*, recomputed from scratch (O(n) hashes)."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[0]
    k = split_size(n)
    return hash_children(naive_root(leaves[:k]), naive_root(leaves[k:]))


def naive_inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """RFC 6962 §2.1.1 ``PATH(m, D[n])`` over leaf hashes, recomputed from scratch."""
    n = len(leaves)
    if not 0 <= index < n:
        raise ValueError(f"leaf index {index} is not in a tree of size {n}")
    if n == 1:
        return []
    k = split_size(n)
    if index < k:
        return [*naive_inclusion_proof(leaves[:k], index), naive_root(leaves[k:])]
    return [*naive_inclusion_proof(leaves[k:], index - k), naive_root(leaves[:k])]


def naive_consistency_proof(leaves: Sequence[bytes], size1: int) -> list[bytes]:
    """RFC 6962 §2.1.2 ``PROOF(m, D[n])`` over leaf hashes, recomputed from scratch."""
    n = len(leaves)
    if not 0 < size1 <= n:
        raise ValueError(f"consistency proof needs 0 < size1 <= {n}, got {size1}")

    def subproof(m: int, d: Sequence[bytes], whole: bool) -> list[bytes]:
        if m == len(d):
            return [] if whole else [naive_root(d)]
        k = split_size(len(d))
        if m <= k:
            return [*subproof(m, d[:k], whole), naive_root(d[k:])]
        return [*subproof(m - k, d[k:], False), naive_root(d[:k])]

    return subproof(size1, leaves, True)
