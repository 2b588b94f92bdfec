"""RFC 6962 Merkle tree maths over stored perfect-subtree nodes (pure, I/O-free).

Hashing is exactly RFC 6962 §2.1 (SHA-256)::

    EMPTY_ROOT            = SHA-256("")
    hash_leaf(d)          = SHA-256(0x00 || d)
    hash_children(l, r)   = SHA-256(0x01 || l || r)
    MTH(D[n]), n > 1      = hash_children(MTH(D[0:k]), MTH(D[k:n])),
                            k = the largest power of two smaller than n

Storage model
-------------
A log of ``size`` leaves is stored as the hashes of its *perfect* subtrees,
addressed by :class:`NodeID` ``(level, index)``: level 0 holds the leaf hashes,
node ``(l, i)`` covers leaves ``[i * 2**l, (i + 1) * 2**l)`` and is stored as
soon as its last leaf is appended.  Stored nodes never change afterwards, so
one node table serves roots and proofs for *every* earlier tree size.

Nodes that are not perfect ("ephemeral" in transparency-dev/merkle terms,
e.g. the root of a 5-leaf tree) are never stored: each is recomputed from the
O(log n) perfect nodes that make up its compact range.

Two ways to use this module
---------------------------
1. Plan, fetch, assemble (for a database): :func:`root_plan`,
   :func:`inclusion_plan`, :func:`consistency_plan` and :func:`append_plan`
   return the :class:`NodeID` s to fetch (one ``SELECT ... WHERE (level, idx)
   IN (...)``), then :meth:`ProofPlan.assemble` / :func:`append_nodes` turn the
   fetched hashes into the result.
2. Getter (for in-memory use): :func:`root`, :func:`inclusion_proof`,
   :func:`consistency_proof` and :func:`append` take a ``get(NodeID) ->
   bytes`` callable and do both steps.

Every root or proof costs at most about ``2 * log2(size)`` node lookups and
``log2(size)`` hashes; an append costs ``1 + trailing_ones(size)`` lookups
and hashes (amortised 2).

Verifying proofs is :mod:`ledger.merkle_verify`'s job; :mod:`ledger.merkle_reference`
holds an in-memory log and direct O(n) transcriptions of the RFC 6962 definitions
for tests and benchmarks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "NodeGetter",
    "NodeID",
    "ProofError",
    "ProofPlan",
    "append",
    "append_nodes",
    "append_plan",
    "check_size",
    "compact_range",
    "consistency_plan",
    "consistency_proof",
    "hash_children",
    "hash_leaf",
    "inclusion_plan",
    "inclusion_proof",
    "root",
    "root_plan",
    "split_size",
]

HASH_SIZE = 32
EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()
"""Root hash of the empty tree: SHA-256 of the empty string."""

_sha256 = hashlib.sha256


def hash_leaf(data: bytes) -> bytes:
    """RFC 6962 leaf hash: ``SHA-256(0x00 || data)``."""
    return _sha256(b"\x00" + data).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: ``SHA-256(0x01 || left || right)``."""
    return _sha256(b"\x01" + left + right).digest()


class ProofError(ValueError):
    """A proof (or its arguments) failed verification; the message says why."""


@dataclass(frozen=True, slots=True, order=True)
class NodeID:
    """Address of a perfect subtree: ``level`` 0 = leaves, ``index`` from the left.

    Node ``(level, index)`` covers leaves ``[index << level, (index + 1) << level)``.
    Unpacks like a tuple: ``level, index = node``.
    """

    level: int
    index: int

    def __iter__(self) -> Iterator[int]:
        yield self.level
        yield self.index

    def parent(self) -> NodeID:
        return NodeID(self.level + 1, self.index >> 1)

    def sibling(self) -> NodeID:
        return NodeID(self.level, self.index ^ 1)

    def coverage(self) -> tuple[int, int]:
        """The ``[begin, end)`` range of leaves under this node."""
        return self.index << self.level, (self.index + 1) << self.level


NodeGetter = Callable[[NodeID], bytes]
"""Returns the stored hash of a perfect-subtree node (raise ``KeyError`` if absent)."""


def check_size(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")


def compact_range(begin: int, end: int) -> list[NodeID]:
    """The perfect subtrees exactly covering leaves ``[begin, end)``, left to right.

    This is the minimal decomposition (a "compact range"): nodes grow in size
    along the left border and shrink along the right border.  For ``begin ==
    0`` it is one node per set bit of ``end``, largest first.
    """
    check_size("begin", begin)
    check_size("end", end)
    if begin > end:
        raise ValueError(f"compact range begin {begin} > end {end}")
    if begin == 0:
        left, right = 0, end
    else:
        # Paths to leaves begin-1 and end diverge at level d; only nodes strictly
        # below it are in the range.  Zero bits of begin-1 below d give the left
        # border, one bits of end below d give the right border.
        xbegin = begin - 1
        mask = (1 << ((xbegin ^ end).bit_length() - 1)) - 1
        left, right = ~xbegin & mask, end & mask
    out: list[NodeID] = []
    pos = begin
    while left:  # left border, growing sizes
        level = (left & -left).bit_length() - 1
        out.append(NodeID(level, pos >> level))
        pos += 1 << level
        left &= left - 1
    while right:  # right border, shrinking sizes
        level = right.bit_length() - 1
        out.append(NodeID(level, pos >> level))
        pos += 1 << level
        right ^= 1 << level
    return out


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Hash of a compact range ``[a, n)`` whose left end ``a`` is aligned (right fold).

    For such a range the RFC 6962 recursion splits off the largest perfect
    subtree on the left each time, i.e. ``H(c0, H(c1, ... H(c_{k-1}, c_k)))``.
    """
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = _sha256(b"\x01" + h + acc).digest()
    return acc


@dataclass(frozen=True, slots=True)
class ProofPlan:
    """Which stored nodes a root or proof needs, and how to combine them.

    ``groups[i]`` lists, left to right, the perfect nodes whose right fold is
    element ``i`` of the result (a single node when the element is itself a
    stored node; several when it is an ephemeral node at the right edge of
    the tree).  :attr:`node_ids` is the de-duplicated list to fetch.
    """

    groups: tuple[tuple[NodeID, ...], ...]

    @property
    def node_ids(self) -> list[NodeID]:
        seen: dict[NodeID, None] = {}
        for group in self.groups:
            for node in group:
                seen[node] = None
        return list(seen)

    def assemble(self, nodes: Mapping[NodeID, bytes] | NodeGetter) -> list[bytes]:
        """Combine fetched node hashes into the proof (``[root]`` for a non-empty root plan)."""
        get = nodes.__getitem__ if isinstance(nodes, Mapping) else nodes
        out: list[bytes] = []
        for group in self.groups:
            if len(group) == 1:
                out.append(get(group[0]))
            else:
                out.append(_fold([get(node) for node in group]))
        return out

    def assemble_root(self, nodes: Mapping[NodeID, bytes] | NodeGetter) -> bytes:
        """The root hash from a :func:`root_plan` (:data:`EMPTY_ROOT` for size 0)."""
        if not self.groups:
            return EMPTY_ROOT
        if len(self.groups) != 1:
            raise ValueError("assemble_root needs a root plan (one group)")
        return self.assemble(nodes)[0]


def split_size(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_plan(size: int) -> ProofPlan:
    """Plan for the root of the tree of ``size`` leaves.

    Fetch ``plan.node_ids`` and call ``plan.assemble_root(...)``; for ``size ==
    0`` nothing needs fetching and the root is :data:`EMPTY_ROOT`.
    """
    check_size("size", size)
    if size == 0:
        return ProofPlan(())
    return ProofPlan((tuple(compact_range(0, size)),))


def inclusion_plan(index: int, size: int) -> ProofPlan:
    """Plan for the RFC 6962 §2.1.1 audit path of leaf ``index`` in a tree of ``size``.

    The resulting proof is ordered from the leaf's sibling up to the root's
    child, as in the RFC (``PATH(m, D[n])``).
    """
    check_size("index", index)
    check_size("size", size)
    if index >= size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    groups: list[tuple[NodeID, ...]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = split_size(hi - lo)
        if index < lo + k:
            groups.append(tuple(compact_range(lo + k, hi)))
            hi = lo + k
        else:
            groups.append(tuple(compact_range(lo, lo + k)))
            lo += k
    groups.reverse()
    return ProofPlan(tuple(groups))


def consistency_plan(size1: int, size2: int) -> ProofPlan:
    """Plan for the RFC 6962 §2.1.2 consistency proof between ``size1`` and ``size2``.

    Requires ``0 < size1 <= size2``; equal sizes give an empty proof.
    """
    check_size("size1", size1)
    check_size("size2", size2)
    if size1 == 0:
        raise ValueError("a consistency proof from the empty tree is meaningless (size1 = 0)")
    if size1 > size2:
        raise ValueError(f"size1 {size1} is larger than size2 {size2}")
    groups: list[tuple[NodeID, ...]] = []
    lo, hi, m, whole = 0, size2, size1, True
    # SUBPROOF(m, D[lo:hi], whole), m relative to lo.
    while m != hi - lo:
        k = split_size(hi - lo)
        if m <= k:
            groups.append(tuple(compact_range(lo + k, hi)))
            hi = lo + k
        else:
            groups.append(tuple(compact_range(lo, lo + k)))
            lo += k
            m -= k
            whole = False
    if not whole:
        groups.append(tuple(compact_range(lo, hi)))
    groups.reverse()
    return ProofPlan(tuple(groups))


def root(size: int, get: NodeGetter) -> bytes:
    """The RFC 6962 root hash of the first ``size`` leaves, from stored nodes."""
    return root_plan(size).assemble_root(get)


def inclusion_proof(index: int, size: int, get: NodeGetter) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``size`` leaves, from stored nodes."""
    return inclusion_plan(index, size).assemble(get)


def consistency_proof(size1: int, size2: int, get: NodeGetter) -> list[bytes]:
    """The consistency proof from ``size1`` to ``size2`` (``0 < size1 <= size2``)."""
    return consistency_plan(size1, size2).assemble(get)


def append_plan(size: int) -> list[NodeID]:
    """Stored nodes needed to append leaf number ``size`` (its left siblings, bottom-up)."""
    check_size("size", size)
    needed: list[NodeID] = []
    level, index = 0, size
    while index & 1:
        needed.append(NodeID(level, index - 1))
        level += 1
        index >>= 1
    return needed


def append_nodes(
    size: int, leaf_hash: bytes, siblings: Sequence[bytes]
) -> list[tuple[NodeID, bytes]]:
    """The nodes to store when leaf ``size`` is appended, given the hashes of ``append_plan(size)``.

    Returns ``[(NodeID(0, size), leaf_hash), (parent, hash), ...]`` -- the leaf
    and every perfect subtree that the new leaf completes.
    """
    check_size("size", size)
    if len(leaf_hash) != HASH_SIZE:
        raise ValueError(f"leaf hash must be {HASH_SIZE} bytes, got {len(leaf_hash)}")
    plan = append_plan(size)
    if len(siblings) != len(plan):
        raise ValueError(
            f"append at size {size} needs {len(plan)} sibling hashes, got {len(siblings)}"
        )
    node = NodeID(0, size)
    acc = leaf_hash
    out = [(node, acc)]
    for sib in siblings:
        acc = _sha256(b"\x01" + sib + acc).digest()
        node = NodeID(node.level + 1, node.index >> 1)
        out.append((node, acc))
    return out


def append(size: int, leaf_hash: bytes, get: NodeGetter) -> list[tuple[NodeID, bytes]]:
    """Append leaf number ``size``: the new perfect-subtree nodes to store (compact-range merge)."""
    return append_nodes(size, leaf_hash, [get(node) for node in append_plan(size)])
