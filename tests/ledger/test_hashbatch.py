"""ledger.hashbatch: the C accelerator returns exactly what the Python reference returns, and
both write headers exactly as ledger.canonical does.

Random inputs (hypothesis) for both functions, and the same kinds of error for bad input:
columns of different lengths, items that are not bytes, texts that are not str or not encodable
(a lone surrogate). CI requires the accelerator to be built (MAESTRO_REQUIRE_ACCELERATOR=1);
elsewhere a machine without a C compiler or OpenSSL's headers runs the reference alone.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger import hashbatch
from ledger.canonical import canonical_json

IMPLEMENTATIONS = [(hashbatch.py_joined, hashbatch.py_hex_of_texts)]
HEADERS: list[Any] = [hashbatch.py_headers]
if hashbatch.ACCELERATED:
    from ledger import _hashbatch

    IMPLEMENTATIONS.append((_hashbatch.joined, _hashbatch.hex_of_texts))
    HEADERS.append(_hashbatch.headers)


def test_the_accelerator_is_built_where_it_must_be() -> None:
    if os.environ.get("MAESTRO_REQUIRE_ACCELERATOR") == "1":
        assert hashbatch.ACCELERATED, "ledger/_hashbatch.c was not built: see setup.py"
    assert hashbatch.joined is (
        IMPLEMENTATIONS[-1][0] if hashbatch.ACCELERATED else hashbatch.py_joined
    )


@given(
    prefix=st.binary(max_size=3),
    rows=st.lists(st.tuples(st.binary(max_size=300), st.binary(max_size=70)), max_size=20),
)
def test_joined_hashes_the_prefix_and_each_row(
    prefix: bytes, rows: list[tuple[bytes, bytes]]
) -> None:
    firsts, seconds = [a for a, _ in rows], [b for _, b in rows]
    want = [hashlib.sha256(prefix + a + b).digest() for a, b in rows]
    for joined, _ in IMPLEMENTATIONS:
        assert joined(prefix, firsts, seconds) == want
        assert joined(prefix, tuple(firsts)) == [
            hashlib.sha256(prefix + a).digest() for a in firsts
        ]


@given(texts=st.lists(st.text(max_size=200), max_size=20))
def test_hex_of_texts_hashes_the_utf8_encoding(texts: list[str]) -> None:
    want = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
    for _, hex_of_texts in IMPLEMENTATIONS:
        assert hex_of_texts(texts) == want


@pytest.mark.parametrize(("joined", "hex_of_texts"), IMPLEMENTATIONS)
def test_bad_input_raises_the_same_errors(joined: object, hex_of_texts: object) -> None:
    with pytest.raises(ValueError, match="columns differ in length"):
        joined(b"", [b"a"], [b"b", b"c"])  # type: ignore[operator]
    with pytest.raises(TypeError):
        joined(b"", [b"a", "b"])  # type: ignore[operator]
    with pytest.raises(TypeError, match="needs a column"):
        joined(b"")  # type: ignore[operator]
    with pytest.raises(TypeError):
        hex_of_texts(["a", b"b"])  # type: ignore[operator]
    with pytest.raises(UnicodeEncodeError):
        hex_of_texts(["fine", "\ud800"])  # type: ignore[operator]


HEADER_ROWS = st.lists(
    st.tuples(
        st.text(min_size=1, max_size=12),  # actor
        st.none() | st.integers(-(2**70), 2**70),  # installation id
        st.text(min_size=1, max_size=12),  # kind
        st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),  # digest
        st.none() | st.text(max_size=12),  # repository
        st.integers(0, 2**70),  # seq
        st.none() | st.text(max_size=12),  # subject
        st.just("2026-11-28T12:00:00.5Z"),  # time
    ),
    max_size=8,
)
NAMES = ("actor", "installation_id", "kind", "payload_sha256", "repository", "seq", "subject")


@given(rows=HEADER_ROWS)
def test_headers_are_the_canonical_json_of_each_header(rows: list[tuple[Any, ...]]) -> None:
    want = [canonical_json({**dict(zip(NAMES, r[:7], strict=True)), "time": r[7]}) for r in rows]
    columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(8)]
    for implementation in HEADERS:
        assert implementation(*columns) == want


@pytest.mark.parametrize("headers", [hashbatch.py_headers, *HEADERS[1:]])
def test_headers_refuse_what_cannot_be_encoded(headers: Any) -> None:
    good = (["a"], [1], ["k"], ["0" * 64], [None], [0], [None], ["t"])
    assert headers(*good) == [
        canonical_json(
            {
                "actor": "a",
                "installation_id": 1,
                "kind": "k",
                "payload_sha256": "0" * 64,
                "repository": None,
                "seq": 0,
                "subject": None,
                "time": "t",
            }
        )
    ]
    with pytest.raises(UnicodeEncodeError):
        headers(["\ud800"], *good[1:])
    with pytest.raises(ValueError, match="columns differ in length"):
        headers(["a", "b"], *good[1:])


def test_headers_escape_every_ascii_character_as_python_does() -> None:
    text = "".join(map(chr, range(128))) + "é✓\u2028\U0001f600"
    fields = {
        "actor": text,
        "installation_id": None,
        "kind": text[::-1],
        "payload_sha256": "f" * 64,
        "repository": text,
        "seq": 7,
        "subject": '"\\',
        "time": "2026-11-28T12:00:00Z",
    }
    want = [canonical_json(fields)]
    columns = [[fields[name]] for name in (*NAMES[:3], "payload_sha256", *NAMES[4:], "time")]
    for implementation in HEADERS:
        assert implementation(*columns) == want


def _chain_rows(n: int) -> tuple[list[Any], list[Any], list[bytes]]:
    prevs, hashes, datas, prev = [], [], [], bytes(32)
    for i in range(n):
        data = b'{"seq":%d}' % i
        entry = hashlib.sha256(prev + data).digest()
        prevs.append(prev.hex())
        hashes.append(entry.hex())
        datas.append(data)
        prev = entry
    return prevs, hashes, datas


CHAINS = [hashbatch.py_chain, *([_hashbatch.chain] if hashbatch.ACCELERATED else [])]


@given(
    n=st.integers(1, 6),
    edit=st.none()
    | st.tuples(
        st.integers(0, 5),
        st.sampled_from(["prev", "hash"]),
        st.sampled_from(["A" * 64, "0" * 63, "0" * 65, "g" * 64, 5, None, b"0" * 64, "\ud800"]),
    ),
)
def test_chain_accepts_exactly_the_rows_whose_hashes_follow(
    n: int, edit: tuple[int, str, Any] | None
) -> None:
    prevs, hashes, datas = _chain_rows(n)
    if edit is not None and edit[0] < n:
        (prevs if edit[1] == "prev" else hashes)[edit[0]] = edit[2]
    intact = (prevs, hashes) == _chain_rows(n)[:2]
    want = (
        ([hashlib.sha256(b"\x00" + d).digest() for d in datas], bytes.fromhex(hashes[-1]))
        if intact
        else None
    )
    for chain in CHAINS:
        assert chain(prevs, hashes, datas) == want


@pytest.mark.parametrize("chain", CHAINS)
def test_chain_refuses_bad_columns(chain: Any) -> None:
    prevs, hashes, datas = _chain_rows(2)
    with pytest.raises(ValueError, match="no rows"):
        chain([], [], [])
    with pytest.raises(ValueError, match="columns differ in length"):
        chain(prevs, hashes[:1], datas)
