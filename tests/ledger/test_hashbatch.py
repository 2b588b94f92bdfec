"""ledger.hashbatch: the C accelerator returns exactly what the Python reference returns.

Random inputs (hypothesis) for both functions, and the same kinds of error for bad input:
columns of different lengths, items that are not bytes, texts that are not str or not encodable
(a lone surrogate). CI requires the accelerator to be built (MAESTRO_REQUIRE_ACCELERATOR=1);
elsewhere a machine without a C compiler or OpenSSL's headers runs the reference alone.
"""

from __future__ import annotations

import hashlib
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger import hashbatch

IMPLEMENTATIONS = [(hashbatch.py_joined, hashbatch.py_hex_of_texts)]
if hashbatch.ACCELERATED:
    from ledger import _hashbatch

    IMPLEMENTATIONS.append((_hashbatch.joined, _hashbatch.hex_of_texts))


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
