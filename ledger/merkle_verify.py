"""Verifying RFC 6962 Merkle proofs: inclusion (audit paths) and consistency.

The verifiers follow RFC 9162 §2.1.3.2 and §2.1.4.2 step by step, and check the
shape of what they are given first (hashes are bytes and not empty, a leaf hash
and every proof element 32 bytes, a proof exactly as long as its sizes call
for), so that every failure raises :class:`ProofError` with a message that says
what is wrong. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ledger.merkle import HASH_SIZE, ProofError, hash_children

__all__ = ["verify_consistency", "verify_inclusion"]


def _check_hash(value: object, what: str) -> bytes:
    if not isinstance(value, bytes | bytearray | memoryview):
        raise ProofError(f"{what} must be bytes, got {type(value).__name__}")
    value = bytes(value)
    if len(value) == 0:
        raise ProofError(f"{what} is a zero-length hash")
    return value


def _check_proof(proof: Iterable[bytes]) -> list[bytes]:
    out = []
    for i, element in enumerate(proof):
        element = _check_hash(element, f"proof element {i}")
        if len(element) != HASH_SIZE:
            raise ProofError(f"proof element {i} is {len(element)} bytes, not {HASH_SIZE}")
        out.append(element)
    return out


def _check_index(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ProofError(f"{name} must be a non-negative integer, got {value!r}")
    return value


def _inclusion_proof_length(index: int, size: int) -> int:
    # Levels below the point where the paths to `index` and `size - 1` diverge,
    # plus one left sibling per set bit of `index` above it.
    inner = (index ^ (size - 1)).bit_length()
    return inner + bin(index >> inner).count("1")


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` with ``root``.

    RFC 9162 §2.1.3.2.  Raises :class:`ProofError` on any failure, including a
    leaf hash that is not 32 bytes, zero-length or wrong-length proof
    elements and a proof of the wrong length.
    """
    index = _check_index("leaf index", index)
    size = _check_index("tree size", size)
    leaf_hash = _check_hash(leaf_hash, "leaf hash")
    root = _check_hash(root, "root hash")
    if len(leaf_hash) != HASH_SIZE:
        raise ProofError(f"leaf hash is {len(leaf_hash)} bytes, not {HASH_SIZE}")
    if index >= size:
        raise ProofError(f"leaf index {index} is not in a tree of size {size}")
    path = _check_proof(proof)
    want = _inclusion_proof_length(index, size)
    if len(path) != want:
        raise ProofError(
            f"inclusion proof for leaf {index} in a tree of size {size} must have "
            f"{want} hashes, got {len(path)}"
        )
    # RFC 9162 §2.1.3.2, steps 2-5.
    fn, sn, r = index, size - 1, leaf_hash
    for p in path:
        if sn == 0:
            raise ProofError("inclusion proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            r = hash_children(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = hash_children(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the path to the root")
    if r != root:
        raise ProofError(
            f"inclusion proof for leaf {index} does not lead to the given root of the "
            f"tree of size {size} (computed {r.hex()}, expected {root.hex()})"
        )


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree of ``size2`` with ``root2`` extends the tree of ``size1`` with ``root1``.

    RFC 9162 §2.1.4.2.  Conventions for the edge cases (as transparency-dev/merkle):
    ``size1 == 0`` is always an error (a proof from the empty tree proves
    nothing); ``size1 == size2`` needs an empty proof and ``root1 == root2``;
    zero-length hashes are errors.  Raises :class:`ProofError`.
    """
    size1 = _check_index("size1", size1)
    size2 = _check_index("size2", size2)
    root1 = _check_hash(root1, "first root hash")
    root2 = _check_hash(root2, "second root hash")
    path = _check_proof(proof)
    if size2 < size1:
        raise ProofError(f"size2 {size2} is smaller than size1 {size1}")
    if size1 == 0:
        raise ProofError("consistency with the empty tree (size1 = 0) cannot be proven")
    if size1 == size2:
        if path:
            raise ProofError("trees of equal size need an empty consistency proof")
        if root1 != root2:
            raise ProofError(f"trees of equal size {size1} have different roots")
        return
    # RFC 9162 §2.1.4.2.
    if not path:
        raise ProofError("consistency proof is empty")
    want = _consistency_proof_length(size1, size2)
    if len(path) != want:
        raise ProofError(
            f"consistency proof from {size1} to {size2} must have {want} hashes, got {len(path)}"
        )
    if size1 & (size1 - 1) == 0:  # step 2: first is a power of two
        path = [root1, *path]
    fn, sn = size1 - 1, size2 - 1  # step 3
    while fn & 1:  # step 4
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]  # step 5
    for c in path[1:]:  # step 6
        if sn == 0:
            raise ProofError("consistency proof is longer than needed")
        if fn & 1 or fn == sn:
            fr = hash_children(c, fr)
            sr = hash_children(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = hash_children(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:  # step 7
        raise ProofError("consistency proof is shorter than needed")
    if fr != root1:
        raise ProofError(
            f"consistency proof does not lead to the first root (size {size1}): "
            f"computed {fr.hex()}, expected {root1.hex()}"
        )
    if sr != root2:
        raise ProofError(
            f"consistency proof does not lead to the second root (size {size2}): "
            f"computed {sr.hex()}, expected {root2.hex()}"
        )


def _consistency_proof_length(size1: int, size2: int) -> int:
    """Length of the RFC 6962 consistency proof for ``0 < size1 < size2``."""
    # The proof is the inclusion path of the rightmost perfect subtree of the
    # old tree (height `shift`) in the new tree, plus that subtree's own hash
    # unless size1 is a power of two (then the verifier already knows it).
    shift = (size1 & -size1).bit_length() - 1
    inner = ((size1 - 1) ^ (size2 - 1)).bit_length()
    border = bin((size1 - 1) >> inner).count("1")
    seed = 0 if size1 & (size1 - 1) == 0 else 1
    return seed + inner - shift + border
