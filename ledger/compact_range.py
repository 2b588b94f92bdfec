"""Compact ranges of an RFC 6962 tree: the hashes of its perfect subtrees, one per set bit of the
size, largest first, from which its root is folded and to which leaves are appended.

:func:`fold` gives the root, :class:`LogAccumulator` appends one leaf at a time and
:func:`merkle_extend` many at once, level by level (each level one pass of builtins), recording
the perfect-subtree hashes it completes (what a node table holds).

Pure: no I/O.
"""

from __future__ import annotations

import hashlib
from operator import methodcaller

from ledger.hashbatch import joined
from ledger.merkle import EMPTY_ROOT

__all__ = ["LogAccumulator", "fold", "merkle_extend"]

_sha256 = hashlib.sha256
_digest = methodcaller("digest")


def fold(stack: list[bytes], acc: bytes | None = None) -> bytes:
    """The RFC 6962 root of a tree given its compact range from leaf 0 (largest subtree first).

    With ``acc``, the root of the tree whose compact range is ``stack`` followed by the subtrees
    that fold to ``acc`` (a block's partial root, see :meth:`ChainWalk.join`).
    """
    if acc is None:
        if not stack:
            return EMPTY_ROOT
        acc, stack = stack[-1], stack[:-1]
    for h in reversed(stack):
        acc = _sha256(b"\x01" + h + acc).digest()
    return acc


class LogAccumulator:
    """Streaming RFC 6962 root over appended leaf hashes (a compact range, O(log n) memory)."""

    __slots__ = ("_stack", "size")

    def __init__(self) -> None:
        self._stack: list[bytes] = []
        self.size = 0

    def append(self, leaf_hash: bytes) -> None:
        acc, n, stack = leaf_hash, self.size, self._stack
        while n & 1:
            acc = _sha256(b"\x01" + stack.pop() + acc).digest()
            n >>= 1
        stack.append(acc)
        self.size += 1

    def root(self) -> bytes:
        return fold(self._stack)


def merkle_extend(
    stack: list[bytes], size: int, leaves: list[bytes], levels: list[list[bytes]] | None
) -> None:
    """Append ``leaves`` to the compact range ``stack`` of a tree of ``size`` leaves, level by
    level; with ``levels``, record every completed perfect subtree hash at its level."""
    items, index, level = leaves, size, 0
    kept: list[bytes] = []  # the new compact-range entries, lowest level first
    while items:
        if levels is not None:
            while len(levels) <= level:
                levels.append([])
            levels[level].extend(items)
        if index & 1:  # a left sibling waits on the stack
            items = [stack.pop(), *items]
            index -= 1
        if len(items) & 1:
            kept.append(items.pop())
        items = joined(b"\x01", items[0::2], items[1::2])
        index >>= 1
        level += 1
    stack.extend(reversed(kept))
