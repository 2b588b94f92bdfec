"""The verifier's whole-page fast path: a page of stored rows checked column by column.

The page is transposed into columns and every check is one pass of a builtin over a column
(type sets, a regex, the JSON scanner and encoder, tuple equality) or one call of
:mod:`ledger.hashbatch` (SHA-256), so next to no Python code runs per row.  It accepts a page
only when every row would pass :func:`~ledger.entry_checks.check_entry` at its position, with
the same hashes; otherwise it returns ``None`` and :class:`~ledger.walk.ChainWalk` takes the
page row by row, which finds and explains the first bad one.  This module therefore never
explains anything.

The chain needs no sequential pass: each stored ``prev_hash`` must equal the stored
``entry_hash`` before it (the first one the walk's previous hash), and each stored
``entry_hash`` must equal ``SHA-256(prev_hash || leaf data)`` recomputed from the stored
``prev_hash``.  Together these are exactly the per-row chain checks.

Pure: no I/O.
"""

from __future__ import annotations

import json
import json.scanner
import re
from collections.abc import Callable, Sequence
from itertools import repeat
from operator import add, itemgetter, methodcaller
from typing import Any, NamedTuple

from ledger.canonical import _MAX_DEPTH, _c_encoder, canonical_json
from ledger.entry import _HEX64, _TIME_FAST, HEADER_FIELDS, _valid_date
from ledger.hashbatch import chain, headers, hex_of_texts, joined

__all__ = ["PageOk", "check_api_page", "check_page"]

_scan: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(
    json.JSONDecoder()  # type: ignore[arg-type]  # typeshed names the class, not the instance
)
_first = itemgetter(0)
_join = "".join
_INT = frozenset({int})
_STR = frozenset({str})
_DICT = frozenset({dict})
_INT_OR_NONE = frozenset({int, type(None)})
_STR_OR_NONE = frozenset({str, type(None)})
# Every time of a page at once: the per-row pattern, one per line.
_ONE_TIME = _TIME_FAST.pattern.replace("(", "(?:", 1)
_TIMES = re.compile(f"(?:{_ONE_TIME}\n)*{_ONE_TIME}")
_DAY = itemgetter(slice(0, 10))
_second = itemgetter(1)


class PageOk(NamedTuple):
    """What a page that passed every check adds to the walk."""

    leaves: list[bytes]
    """The Merkle leaf hashes ``SHA-256(0x00 || leaf data)``, in order."""
    last_hash: bytes
    """The last row's ``entry_hash``."""
    last_hex: str
    purged: int
    """How many rows have a purged payload."""


def _payloads_ok(texts: Sequence[str], digests: Sequence[str]) -> bool:
    """Each text is the canonical JSON of an object (at most ``_MAX_DEPTH`` deep) and hashes to
    its digest; raises ValueError, StopIteration or UnicodeError on text that is not JSON."""
    if not texts:
        return True
    # More than _MAX_DEPTH nested brackets need more than twice as many characters.
    if max(map(len, texts)) > 2 * _MAX_DEPTH and max(
        map(add, map(str.count, texts, repeat("{")), map(str.count, texts, repeat("[")))
    ) > (_MAX_DEPTH):
        return False  # possibly too deep: the per-row path decides
    scanned = list(map(_scan, texts, repeat(0)))
    values = list(map(_first, scanned))
    # Each text is one whole value (it ends where its scan ended), and the canonical encoding of
    # the list of values is the texts joined: then each text is its value's canonical encoding
    # (were one text a proper prefix of its encoding, or the other way round, one of the two
    # would hold more than one value).
    return (
        set(map(type, values)) == _DICT
        and list(map(_second, scanned)) == list(map(len, texts))
        and _join(_c_encoder(values, 0)) == f"[{','.join(texts)}]"
        and hex_of_texts(texts) == list(digests)
    )


Header = tuple[Sequence[Any], ...]
"""The columns seq, time, actor, installation_id, repository, kind, subject, payload_sha256,
prev_hash, entry_hash."""


def _header_ok(cols: Header, start: int, prev_hex: str, dates: set[str]) -> bool:
    """Every header field well formed and of its exact plain type, positions from ``start``, each
    ``prev_hash`` the ``entry_hash`` before it (the first ``prev_hex``)."""
    seqs, times, actors, insts, repos, kinds, subjects, digests, prevs, hashes = cols
    n = len(seqs)
    if not (
        set(map(type, seqs)) == _INT
        and tuple(seqs) == tuple(range(start, start + n))
        and prevs[0] == prev_hex
        and tuple(prevs[1:]) == tuple(hashes[:-1])
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
        return False
    all_times = "\n".join(times)
    if all_times.count("\n") != n - 1 or _TIMES.fullmatch(all_times) is None:
        return False
    days = set(map(_DAY, times)) - dates
    if not all(map(_valid_date, days)):
        return False
    dates.update(days)
    return True


def _chained(cols: Header) -> tuple[list[bytes], bytes] | None:
    """(leaf hashes, last entry hash) when every stored ``entry_hash`` is right."""
    seqs, times, actors, insts, repos, kinds, subjects, digests, prevs, hashes = cols
    datas = headers(actors, insts, kinds, digests, repos, seqs, subjects, times)
    return chain(prevs, hashes, datas)


# Bad JSON, NaN, a lone surrogate, a hash that is not hex or not even a string (a prev_hash
# equal to the entry_hash before it passes the equality checks whatever its type) …: the
# per-row path explains.
_REFUSED = (TypeError, ValueError, StopIteration, UnicodeError, RecursionError)


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
    cols = (seqs, times, actors, insts, repos, kinds, subjects, digests, prevs, hashes)
    if not _header_ok(cols, start, prev_hex, dates):
        return None
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
        checked = _chained(cols)
    except _REFUSED:
        return None
    if checked is None:
        return None
    leaves, last_hash = checked
    return PageOk(leaves, last_hash, hashes[-1], texts.count(None))


_API_FIELDS = (*HEADER_FIELDS, "prev_hash", "entry_hash")  # the Header columns
_ABSENT = object()
_payload_of = methodcaller("get", "payload")
_purged_of = methodcaller("get", "purged", False)
_leaf_of = methodcaller("get", "leaf_hash", _ABSENT)


def check_api_page(
    items: Sequence[Any], start: int, prev_hex: str, dates: set[str]
) -> PageOk | None:
    """:func:`check_page` for entries in the auditor-API shape (dicts): a payload is checked by
    hashing its canonical JSON, a purged one must be ``None`` with ``"purged": true``, and a
    ``leaf_hash`` an entry carries must be its leaf's."""
    if not items or set(map(type, items)) != _DICT:
        return None
    try:
        cols = tuple(list(map(itemgetter(name), items)) for name in _API_FIELDS)
    except KeyError:
        return None
    if not _header_ok(cols, start, prev_hex, dates):
        return None
    digests = cols[7]
    payloads = list(map(_payload_of, items))
    flags = list(map(_purged_of, items))
    try:
        # Per entry: either not purged (False itself) with a dict payload, or purged (True
        # itself) with no payload and a well-formed digest.
        live = [(p, d) for p, f, d in zip(payloads, flags, digests, strict=True) if f is False]
        gone = [(p, d) for p, f, d in zip(payloads, flags, digests, strict=True) if f is True]
        if len(live) + len(gone) != len(items):
            return None
        if gone and not all(p is None and _HEX64.fullmatch(d) for p, d in gone):
            return None
        if live:
            values = [p for p, _ in live]
            if set(map(type, values)) != _DICT:
                return None
            texts = list(map(canonical_json, values))
            if list(map(bytes.hex, joined(b"", texts))) != [d for _, d in live]:
                return None
        checked = _chained(cols)
    except _REFUSED:
        return None
    if checked is None:
        return None
    leaves, last_hash = checked
    claimed = list(map(_leaf_of, items))
    if any(h is not _ABSENT for h in claimed) and any(
        h is not _ABSENT and h != leaf.hex() for h, leaf in zip(claimed, leaves, strict=True)
    ):
        return None
    return PageOk(leaves, last_hash, cols[9][-1], len(gone))
