"""SHA-256 of many short inputs at once, and the leaf data they hash, for the verifier's
whole-page checks.

``joined(prefix, *columns)`` hashes ``prefix || columns[0][i] || columns[1][i] …`` for every
``i`` (a leaf is ``joined(b"\\x00", datas)``, an entry hash ``joined(b"", prevs, datas)``, a
level of tree nodes ``joined(b"\\x01", lefts, rights)``); ``hex_of_texts(texts)`` gives the hex
SHA-256 of each text's UTF-8 encoding (a payload digest); ``headers(…)`` writes each entry's
leaf data from the header columns, as ``ledger.canonical.canonical_json`` writes a header;
``chain(prevs, hashes, datas)`` checks each stored entry hash against its stored ``prev_hash``
and leaf data and gives the leaf hashes.

When the package was built with a C compiler and OpenSSL's headers, these are the C versions of
``ledger/_hashbatch.c``, which call OpenSSL's SHA-256 directly (about three times as fast per
short input as ``hashlib``, whose per-call set-up is most of the cost). Otherwise they are the
Python versions below, which define what the C ones must return; ``ACCELERATED`` says which.

Pure: no I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from itertools import repeat
from json.encoder import encode_basestring
from operator import methodcaller
from typing import Any

from ledger.entry import _HEX64

__all__ = [
    "ACCELERATED",
    "chain",
    "headers",
    "hex_of_texts",
    "joined",
    "py_chain",
    "py_headers",
    "py_hex_of_texts",
    "py_joined",
]

_sha256 = hashlib.sha256
_digest = methodcaller("digest")
_hexdigest = methodcaller("hexdigest")


def py_joined(prefix: bytes, *columns: Sequence[bytes]) -> list[bytes]:
    """``[SHA-256(prefix || columns[0][i] || …) for each i]``; the columns are equally long and
    hold bytes (anything else is a TypeError, here from ``bytes.join``)."""
    if not columns:
        raise TypeError("joined(prefix, column, ...) needs a column")
    if len({len(column) for column in columns}) > 1:
        raise ValueError("columns differ in length")
    return list(map(_digest, map(_sha256, map(b"".join, zip(repeat(prefix), *columns)))))


def py_hex_of_texts(texts: Sequence[str]) -> list[str]:
    """``[SHA-256(text.encode("utf-8")).hexdigest() for each text]``."""
    return list(map(_hexdigest, map(_sha256, map(str.encode, texts))))


def _quoted(column: Sequence[str | None]) -> list[str] | map[str]:
    """JSON for a column of ``str`` (or ``None``) values."""
    if None in column:
        return ["null" if v is None else encode_basestring(v) for v in column]
    return map(encode_basestring, column)  # type: ignore[arg-type]  # no None in it


def py_headers(
    actors: Sequence[str],
    insts: Sequence[int | None],
    kinds: Sequence[str],
    digests: Sequence[str],
    repos: Sequence[str | None],
    seqs: Sequence[int],
    subjects: Sequence[str | None],
    times: Sequence[str],
) -> list[bytes]:
    """Each entry's leaf data: its header as canonical JSON (keys sorted, strings as
    ``encode_basestring`` writes them, the digest and time as they are), UTF-8."""
    if len({len(c) for c in (actors, insts, kinds, digests, repos, seqs, subjects, times)}) > 1:
        raise ValueError("columns differ in length")
    pieces = zip(
        repeat('{"actor":'),
        _quoted(actors),
        repeat(',"installation_id":'),
        ["null" if i is None else str(i) for i in insts] if None in insts else map(str, insts),
        repeat(',"kind":'),
        _quoted(kinds),
        repeat(',"payload_sha256":"'),
        digests,
        repeat('","repository":'),
        _quoted(repos),
        repeat(',"seq":'),
        map(str, seqs),
        repeat(',"subject":'),
        _quoted(subjects),
        repeat(',"time":"'),
        times,
        repeat('"}'),
    )
    return list(map(str.encode, map("".join, pieces)))


def py_chain(
    prevs: Sequence[Any], hashes: Sequence[Any], datas: Sequence[bytes]
) -> tuple[list[bytes], bytes] | None:
    """(the leaf hashes ``SHA-256(0x00 || data)``, the last entry hash) when every ``hashes[i]``
    is the lowercase hex of ``SHA-256(bytes.fromhex(prevs[i]) || datas[i])`` and every
    ``prevs[i]`` is 64 lowercase hex characters; else None."""
    if not len(prevs) == len(hashes) == len(datas):
        raise ValueError("columns differ in length")
    if not datas:
        raise ValueError("no rows")
    if not all(type(p) is str and _HEX64.fullmatch(p) for p in prevs):
        return None
    entries = py_joined(b"", list(map(bytes.fromhex, prevs)), datas)
    if list(map(bytes.hex, entries)) != list(hashes):
        return None
    return py_joined(b"\x00", datas), entries[-1]


joined: Callable[..., list[bytes]]
hex_of_texts: Callable[[Sequence[str]], list[str]]
headers: Callable[..., list[bytes]]
chain: Callable[..., tuple[list[bytes], bytes] | None]
try:
    from ledger._hashbatch import chain, headers, hex_of_texts, joined

    ACCELERATED = True
except ImportError:  # built without a compiler or OpenSSL's headers
    joined, hex_of_texts, headers, chain = py_joined, py_hex_of_texts, py_headers, py_chain
    ACCELERATED = False
