"""The verifier's whole-page fast path: a page of stored rows checked column by column.

The page is transposed into columns and every check is one pass of a builtin over a column
(type sets, a regex, the JSON scanner and encoder, SHA-256, tuple equality), so no Python code
runs per row.  It accepts a page only when every row would pass
:func:`~ledger.entry_checks.check_entry` at its position, with the same hashes; otherwise it
returns ``None`` and :class:`~ledger.walk.ChainWalk` takes the page row by row, which finds and
explains the first bad one.  This module therefore never explains anything.

The chain needs no sequential pass: each stored ``prev_hash`` must equal the stored
``entry_hash`` before it (the first one the walk's previous hash), and each stored
``entry_hash`` must equal ``SHA-256(prev_hash || leaf data)`` recomputed from the stored
``prev_hash``.  Together these are exactly the per-row chain checks.

Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import json
import json.scanner
from collections.abc import Callable, Sequence
from itertools import repeat
from json.encoder import encode_basestring
from operator import add, itemgetter, methodcaller
from typing import Any, NamedTuple

from ledger.canonical import _MAX_DEPTH, _c_encoder
from ledger.entry import _HEX64, _TIME_FAST, _valid_date

__all__ = ["PageOk", "check_page", "merkle_extend"]

_sha256 = hashlib.sha256
_scan: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(
    json.JSONDecoder()  # type: ignore[arg-type]  # typeshed names the class, not the instance
)
_first = itemgetter(0)
_group1: Callable[[Any], str] = itemgetter(1)
_digest = methodcaller("digest")
_hexdigest = methodcaller("hexdigest")
_join = "".join
_INT = frozenset({int})
_STR = frozenset({str})
_DICT = frozenset({dict})
_INT_OR_NONE = frozenset({int, type(None)})
_STR_OR_NONE = frozenset({str, type(None)})
# ledger.entry.leaf_data, field by field in sorted key order (canonical JSON of the header).
_HEADER = (
    '{"actor":%s,"installation_id":%s,"kind":%s,"payload_sha256":"%s",'
    '"repository":%s,"seq":%d,"subject":%s,"time":"%s"}'
)


class PageOk(NamedTuple):
    """What a page that passed every check adds to the walk."""

    leaves: list[bytes]
    """The Merkle leaf hashes ``SHA-256(0x00 || leaf data)``, in order."""
    last_hash: bytes
    """The last row's ``entry_hash``."""
    last_hex: str
    purged: int
    """How many rows have a purged payload."""


def _quoted(column: Sequence[Any]) -> list[str] | map[str]:
    """JSON for a column of ``str`` (or ``None``) values."""
    if None in column:
        return ["null" if v is None else encode_basestring(v) for v in column]
    return map(encode_basestring, column)


def _payloads_ok(texts: Sequence[str], digests: Sequence[str]) -> bool:
    """Each text is the canonical JSON of an object (at most ``_MAX_DEPTH`` deep) and hashes to
    its digest; raises ValueError, StopIteration or UnicodeError on text that is not JSON."""
    if not texts:
        return True
    if max(map(add, map(str.count, texts, repeat("{")), map(str.count, texts, repeat("[")))) > (
        _MAX_DEPTH
    ):
        return False  # possibly too deep: the per-row path decides
    values = list(map(_first, map(_scan, texts, repeat(0))))
    return (
        set(map(type, values)) == _DICT
        and list(map(_join, map(_c_encoder, values, repeat(0)))) == list(texts)
        and list(map(_hexdigest, map(_sha256, map(str.encode, texts)))) == list(digests)
    )


def check_page(
    rows: Sequence[Sequence[Any]], start: int, prev_hex: str, dates: set[str]
) -> PageOk | None:
    """Check stored rows (``STORED_FIELDS`` order) at positions ``start …`` after an entry whose
    ``entry_hash`` is ``prev_hex``; ``None`` unless every one passes.  Valid dates are
    remembered in ``dates``."""
    if not rows:
        return None
    try:
        seqs, times, actors, insts, repos, kinds, subjects, texts, digests, prevs, hashes = zip(
            *rows, strict=True
        )
    except (TypeError, ValueError):
        return None  # a row of the wrong length: the per-row path says so
    n = len(rows)
    if not (
        set(map(type, seqs)) == _INT
        and seqs == tuple(range(start, start + n))
        and prevs[0] == prev_hex
        and prevs[1:] == hashes[:-1]
        and set(map(type, times)) == _STR
        and set(map(type, actors)) == _STR
        and "" not in actors
        and set(map(type, kinds)) == _STR
        and "" not in kinds
        and set(map(type, insts)) <= _INT_OR_NONE
        and set(map(type, repos)) <= _STR_OR_NONE
        and set(map(type, subjects)) <= _STR_OR_NONE
        and set(map(type, digests)) == _STR
    ):
        return None
    matches = list(map(_TIME_FAST.fullmatch, times))
    if None in matches or not all(
        day in dates or _valid_date(day) for day in set(map(_group1, matches)) - dates
    ):
        return None
    dates.update(map(_group1, matches))
    try:
        if None in texts:  # purged payloads keep only their hash
            purged = [d for t, d in zip(texts, digests, strict=True) if t is None]
            live = [t for t in texts if t is not None]
            if (
                not all(map(_HEX64.fullmatch, purged))
                or not set(map(type, live)) <= _STR
                or not _payloads_ok(
                    live, [d for t, d in zip(texts, digests, strict=True) if t is not None]
                )
            ):
                return None
        elif set(map(type, texts)) != _STR or not _payloads_ok(texts, digests):
            return None
        inst_json = (
            map(str, insts)
            if None not in insts
            else ["null" if i is None else str(i) for i in insts]
        )
        datas = list(
            map(
                str.encode,
                map(
                    _HEADER.__mod__,
                    zip(
                        map(encode_basestring, actors),
                        inst_json,
                        map(encode_basestring, kinds),
                        digests,
                        _quoted(repos),
                        seqs,
                        _quoted(subjects),
                        times,
                        strict=True,
                    ),
                ),
            )
        )
        entry_hashes = list(map(_digest, map(_sha256, map(add, map(bytes.fromhex, prevs), datas))))
    except (ValueError, StopIteration, UnicodeError, RecursionError):
        return None  # bad JSON, NaN, a lone surrogate, odd hex …: the per-row path explains
    if list(map(bytes.hex, entry_hashes)) != list(hashes):
        return None
    leaves = list(map(_digest, map(_sha256, map(add, repeat(b"\x00"), datas))))
    return PageOk(leaves, entry_hashes[-1], hashes[-1], texts.count(None))


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
        items = list(
            map(
                _digest,
                map(_sha256, map(add, map(add, repeat(b"\x01"), items[0::2]), items[1::2])),
            )
        )
        index >>= 1
        level += 1
    stack.extend(reversed(kept))
