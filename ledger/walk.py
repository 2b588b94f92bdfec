"""The verifier's pass over the entries, resumable page by page.

:class:`ChainWalk` keeps what verifying a log needs between pages: the previous ``entry_hash``,
the compact range of the tree so far (one hash per set bit of the size, from which RFC 6962 roots
are recomputed), counters, and the first bad entry.  A database or an API can therefore be read a
page at a time, and a verification resumed later from where it stopped (``GET /ledger`` does).

Entries come in two shapes: :meth:`ChainWalk.feed` takes auditor-API mappings or
:class:`~ledger.entry.Entry` objects, :meth:`ChainWalk.feed_stored` takes stored rows (tuples in
:data:`~ledger.entry_checks.STORED_FIELDS` order, payload as its stored JSON text).  Well-formed
plain rows take a fast path that accepts an entry only when every check of
:func:`~ledger.entry_checks.check_entry` would pass and computes the same hashes; anything else
goes to ``check_entry``, which defines the semantics and explains failures.  The fast paths
validate no pydantic model, build no dict per row and hash each byte string once.

Pages of entries first try :func:`ledger.columns.check_page` (stored rows) or
:func:`~ledger.columns.check_api_page` (API mappings), which check a whole page column by column;
a page they do not accept goes row by row.

With ``keep_nodes`` the walk also records, level by level, every perfect-subtree hash it
completes (what the node table must hold); :meth:`ChainWalk.take_nodes` hands them over.

A walk may also cover one aligned block of a log (``start``), so that blocks can be verified
apart, in other processes, and then put together in order with :meth:`ChainWalk.join`.
"""

from __future__ import annotations

import hashlib
import json
import json.scanner
from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from json.encoder import encode_basestring as _q
from typing import Any, NamedTuple

from ledger.canonical import _MAX_DEPTH, _fast_encode, canonical_json
from ledger.columns import check_api_page, check_page
from ledger.compact_range import LogAccumulator, fold, merkle_extend
from ledger.entry import _HEX64, _TIME_FAST, GENESIS_PREV_HASH, _valid_date
from ledger.entry_checks import BadEntry, check_entry, stored_to_api
from ledger.merkle import EMPTY_ROOT

__all__ = ["Block", "ChainWalk", "LogAccumulator", "fold"]

_sha256 = hashlib.sha256
# The C scanner without json.loads' Python wrapper: canonical text has no whitespace to skip,
# and whatever it does not parse whole (trailing data, a bad start) fails the checks below.
_scan: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(
    json.JSONDecoder()  # type: ignore[arg-type]  # typeshed names the class, not the instance
)


_PAGE = 2048  # entries per columnar check


class Block(NamedTuple):
    """A verified block of a log, as :meth:`ChainWalk.join` takes it (small and picklable)."""

    start: int
    end: int
    """One past the last entry's seq."""
    first_prev: bytes
    """The ``prev_hash`` the block starts from (the entry before it must hash to this)."""
    last_hash: bytes
    """The last entry's ``entry_hash``."""
    stack: list[bytes]
    """The compact range of the block's own leaves (largest subtree first)."""
    roots: dict[int, bytes]
    """For wanted sizes inside the block, ``fold`` of the block's part (see ``join``)."""
    purged: int


def _new_date(text: str, seen: set[str]) -> bool:
    """Whether ``YYYY-MM-DD`` is a real date; valid ones are remembered in ``seen``."""
    if _valid_date(text):
        seen.add(text)
        return True
    return False


class ChainWalk:
    """Verification state over entries ``0 … size-1``; feed it the next entries in order."""

    __slots__ = (
        "_dates",
        "_levels",
        "_nodes_from",
        "_prev_hex",
        "_stack",
        "bad",
        "bad_index",
        "first_prev",
        "prev",
        "purged",
        "read",
        "roots",
        "size",
        "start",
        "wanted",
    )

    def __init__(
        self,
        root_sizes: Iterable[int] = (),
        *,
        keep_nodes: bool = False,
        start: int = 0,
        prev: bytes = GENESIS_PREV_HASH,
    ) -> None:
        """``start`` and ``prev``: verify a block of a log that begins at seq ``start`` after an
        entry whose ``entry_hash`` is ``prev``.  ``start`` must be a multiple of a power of two
        at least as large as the block, so that its subtrees are subtrees of the whole tree."""
        self.start = start
        """The first entry's seq (0 for a whole log)."""
        self.first_prev = prev
        self.size = start
        """The next entry's seq: entries ``start … size-1`` verified (their number for a log)."""
        self.read = 0
        """Entries read (the bad one included)."""
        self.purged = 0
        self.prev = prev
        """``entry_hash`` of the last verified entry."""
        self.bad: BadEntry | None = None
        self.bad_index: int | None = None
        self.wanted = set(root_sizes)
        """Sizes whose root to record in :attr:`roots` as the walk passes them."""
        self.roots: dict[int, bytes] = {0: EMPTY_ROOT} if 0 in self.wanted and not start else {}
        """Roots at wanted sizes (for a block: ``fold`` of the block's part only)."""
        self._stack: list[bytes] = []
        self._prev_hex = prev.hex()
        self._dates: set[str] = set()
        self._levels: list[list[bytes]] | None = [[]] if keep_nodes else None
        self._nodes_from = start

    def root(self) -> bytes:
        """The RFC 6962 root over the verified entries."""
        return fold(self._stack)

    def want_root(self, size: int) -> None:
        """Also record the root at ``size`` (the current size is recorded at once)."""
        if size == self.size:
            self.roots[size] = self.root()
        elif size > self.size:
            self.wanted.add(size)

    def take_nodes(self) -> tuple[int, list[list[bytes]]]:
        """(size s, levels) of the nodes completed since the last call; empties the record.

        ``levels[l]`` holds the hashes of nodes ``(l, s >> l)``, ``(l, (s >> l) + 1)`` … in
        order: exactly the perfect subtrees whose last leaf was verified since size ``s``.
        """
        if self._levels is None:
            raise RuntimeError("this walk does not keep nodes (keep_nodes=False)")
        start, levels = self._nodes_from, self._levels
        self._nodes_from, self._levels = self.size, [[] for _ in levels]
        return start, levels

    def feed(self, items: Iterable[Any]) -> bool:
        """Verify the next entries (API mappings or Entry objects); False once one is bad."""
        return self._feed_pages(items, stored=False)

    def feed_stored(self, rows: Iterable[Any]) -> bool:
        """Verify the next stored rows (``STORED_FIELDS`` tuples); False once one is bad."""
        return self._feed_pages(rows, stored=True)

    def _feed_pages(self, items: Iterable[Any], stored: bool) -> bool:
        # Pages of _PAGE: each column of a page stays in the CPU's caches while it is checked.
        if isinstance(items, list | tuple) and len(items) <= _PAGE:
            return self._feed_page(items, stored)
        rest = iter(items)
        while self.bad is None and (page := list(islice(rest, _PAGE))):
            self._feed_page(page, stored)
        return self.bad is None

    def _feed_page(self, rows: Sequence[Any], stored: bool) -> bool:
        """The columnar check, page by page, cut at wanted sizes; row by row where it fails."""
        check = check_page if stored else check_api_page
        done = 0
        while done < len(rows) and self.bad is None:
            end = len(rows)
            for size in self.wanted:
                if self.size < size < self.size + end - done:
                    end = done + size - self.size
            page = rows[done:end]
            ok = check(page, self.size, self._prev_hex, self._dates)
            if ok is None:
                self._feed(page, stored)
            else:
                merkle_extend(self._stack, self.size - self.start, ok.leaves, self._levels)
                self.size += len(page)
                self.read += len(page)
                self.purged += ok.purged
                self.prev, self._prev_hex = ok.last_hash, ok.last_hex
                if self.size in self.wanted:
                    self.roots[self.size] = fold(self._stack)
            done = end
        return self.bad is None

    def block(self) -> Block:
        """This walk's verified entries as a :class:`Block` for :meth:`join`."""
        if self.bad is not None:
            raise ValueError("a walk that found a bad entry is not a verified block")
        return Block(
            self.start,
            self.size,
            self.first_prev,
            self.prev,
            list(self._stack),
            dict(self.roots),
            self.purged,
        )

    def join(self, block: Block) -> bool:
        """Append a block verified by another walk; False (nothing changed) unless it starts
        where this walk stopped and links to its last entry.

        The block's subtrees join this walk's compact range level by level; nodes completed by
        joining are recorded with ``keep_nodes`` (the block's own ones are the other walk's).
        The roots the block recorded become roots of the whole log.
        """
        if self.bad is not None or block.start != self.size or block.first_prev != self.prev:
            return False
        local = self.size - self.start
        count = block.end - block.start
        if count and local % (1 << (count.bit_length() - 1)):
            raise ValueError(f"a block of {count} entries cannot start at {self.size}")
        for size, part in block.roots.items():
            if size in self.wanted:
                self.roots[size] = fold(self._stack, part)
        stack, levels = self._stack, self._levels
        sizes = [1 << level for level in reversed(range(count.bit_length())) if count >> level & 1]
        for subtree, acc in zip(sizes, block.stack, strict=True):
            n, level = local // subtree, subtree.bit_length() - 1
            while n & 1:
                acc = _sha256(b"\x01" + stack.pop() + acc).digest()
                n >>= 1
                level += 1
                if levels is not None:
                    while len(levels) <= level:
                        levels.append([])
                    levels[level].append(acc)
            stack.append(acc)
            local += subtree
        self.size = block.end
        self.read += count
        self.purged += block.purged
        self.prev, self._prev_hex = block.last_hash, block.last_hash.hex()
        if self.size in self.wanted:
            self.roots[self.size] = fold(stack)
        return True

    def _feed(self, items: Iterable[Any], stored: bool) -> bool:
        if self.bad is not None:
            return False
        sha, tmatch, hexmatch, dates = _sha256, _TIME_FAST.fullmatch, _HEX64.fullmatch, self._dates
        stack, levels, wanted, roots = self._stack, self._levels, self.wanted, self.roots
        base = self.start
        size, prev, prev_hex, read, purged_count = (
            self.size,
            self.prev,
            self._prev_hex,
            self.read,
            self.purged,
        )
        try:
            for item in items:
                read += 1
                data: bytes | None = None
                purged = False
                if stored:
                    seq, time, actor, inst, repo, kind, subject, text, digest, p_hex, e_hex = item
                else:
                    seq = text = None  # an Entry object, a missing key …: the thorough check
                    if type(item) is dict:
                        try:
                            seq, time, actor = item["seq"], item["time"], item["actor"]
                            inst, repo = item["installation_id"], item["repository"]
                            kind, subject = item["kind"], item["subject"]
                            digest, p_hex, e_hex = (
                                item["payload_sha256"],
                                item["prev_hash"],
                                item["entry_hash"],
                            )
                        except KeyError:
                            seq = None
                # The header, exactly as ledger.entry._fast_header_fields accepts it.
                if (
                    type(seq) is int
                    and seq == size
                    and p_hex == prev_hex
                    and type(time) is str
                    and (m := tmatch(time)) is not None
                    and (m[1] in dates or _new_date(m[1], dates))
                    and type(actor) is str
                    and actor
                    and (inst is None or type(inst) is int)
                    and (repo is None or type(repo) is str)
                    and type(kind) is str
                    and kind
                    and (subject is None or type(subject) is str)
                    and type(digest) is str
                ):
                    try:
                        if stored:
                            if text is None:
                                purged = hexmatch(digest) is not None
                                ok = purged
                            else:
                                # The stored text must be the canonical JSON of an object (it
                                # prints back to itself) and hash to the header's digest; at
                                # most _MAX_DEPTH brackets rules out a too-deep value.
                                ok = (
                                    type(text) is str
                                    and text.count("{") + text.count("[") <= _MAX_DEPTH
                                    and text[:1] == "{"
                                    and type(obj := _scan(text, 0)[0]) is dict
                                    and _fast_encode(obj) == text
                                    and sha(text.encode()).hexdigest() == digest
                                )
                        else:
                            payload, purged = item.get("payload"), item.get("purged", False)
                            if purged is False and type(payload) is dict:
                                ok = sha(canonical_json(payload)).hexdigest() == digest
                            else:
                                ok = purged is True and payload is None and bool(hexmatch(digest))
                        if ok:
                            data = (
                                f'{{"actor":{_q(actor)},'
                                f'"installation_id":{"null" if inst is None else inst},'
                                f'"kind":{_q(kind)},'
                                f'"payload_sha256":"{digest}",'
                                f'"repository":{"null" if repo is None else _q(repo)},'
                                f'"seq":{seq},'
                                f'"subject":{"null" if subject is None else _q(subject)},'
                                f'"time":"{time}"}}'
                            ).encode()
                            entry_hash = sha(prev + data).digest()
                            entry_hex = entry_hash.hex()
                            if entry_hex != e_hex or (
                                not stored
                                and "leaf_hash" in item
                                and sha(b"\x00" + data).hexdigest() != item["leaf_hash"]
                            ):
                                data = None
                    except (ValueError, StopIteration):  # bad JSON, NaN, huge ints …: explain below
                        data = None
                if data is None:
                    try:
                        entry = stored_to_api(item) if stored else item
                        data, purged, entry_hash = check_entry(entry, size, prev)
                    except BadEntry as exc:
                        self.bad, self.bad_index = exc, size
                        break
                    entry_hex = entry_hash.hex()
                # Append the leaf to the compact range; each merge completes a perfect subtree.
                acc = sha(b"\x00" + data).digest()
                n = size - base
                if levels is None:
                    while n & 1:
                        acc = sha(b"\x01" + stack.pop() + acc).digest()
                        n >>= 1
                else:
                    levels[0].append(acc)
                    level = 0
                    while n & 1:
                        acc = sha(b"\x01" + stack.pop() + acc).digest()
                        n >>= 1
                        level += 1
                        if level == len(levels):
                            levels.append([])
                        levels[level].append(acc)
                stack.append(acc)
                size += 1
                prev, prev_hex = entry_hash, entry_hex
                purged_count += purged
                if size in wanted:
                    roots[size] = fold(stack)
        finally:
            self.size, self.prev, self._prev_hex = size, prev, prev_hex
            self.read, self.purged = read, purged_count
        return self.bad is None
