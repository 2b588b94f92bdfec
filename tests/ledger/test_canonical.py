"""ledger.canonical: the one canonical JSON serialisation."""

from __future__ import annotations

import enum
import json
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.canonical import CanonicalJSONError, canonical_json


def test_sorted_keys_no_whitespace_utf8() -> None:
    obj = {"b": 1, "a": [True, False, None], "é": "ü€😀", "A": {"z": 0, "y": -1}}
    out = canonical_json(obj)
    assert out == '{"A":{"y":-1,"z":0},"a":[true,false,null],"b":1,"é":"ü€😀"}'.encode()


def test_key_order_is_code_point_order() -> None:
    # U+FFFD sorts before U+1F600 by code point (UTF-16 order would differ).
    assert canonical_json({"😀": 1, "\ufffd": 2, "a": 3, "B": 4}) == (
        '{"B":4,"a":3,"\ufffd":2,"😀":1}'.encode()
    )


def test_insertion_order_does_not_matter() -> None:
    assert canonical_json({"x": 1, "y": {"b": 2, "a": 1}}) == canonical_json(
        {"y": {"a": 1, "b": 2}, "x": 1}
    )


def test_escapes() -> None:
    s = 'q"b\\n\nr\rt\tb\bf\f\x00\x1f\x7f\u2028'
    assert canonical_json(s) == b'"q\\"b\\\\n\\nr\\rt\\tb\\bf\\f\\u0000\\u001f\x7f\xe2\x80\xa8"'


def test_numbers() -> None:
    assert canonical_json([0, -1, 10**20, 0.1, 1.0, 1e16, -0.0, 2.5e-7]) == (
        b"[0,-1,100000000000000000000,0.1,1.0,1e+16,-0.0,2.5e-07]"
    )


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf"), {"a": [float("nan")]}])
def test_rejects_non_finite(bad: object) -> None:
    with pytest.raises(CanonicalJSONError, match="NaN and Infinity"):
        canonical_json(bad)


@pytest.mark.parametrize(
    ("bad", "where"),
    [
        ({1: "a"}, "keys must be str"),
        ({"a": {None: 1}}, "keys must be str"),
        (b"bytes", "unsupported type bytes"),
        ({"s": {1, 2}}, "unsupported type set at \\$\\['s'\\]"),
        ([datetime(2026, 1, 1)], "unsupported type datetime at \\$\\[0\\]"),
        (object(), "unsupported type object"),
    ],
)
def test_rejects_non_json(bad: object, where: str) -> None:
    with pytest.raises(CanonicalJSONError, match=where):
        canonical_json(bad)


def test_rejects_lone_surrogate() -> None:
    with pytest.raises(CanonicalJSONError, match="surrogate"):
        canonical_json({"a": "\ud800"})


def test_tuples_are_arrays_and_enums_are_values() -> None:
    class Colour(enum.IntEnum):
        RED = 1

    class Kind(enum.StrEnum):
        A = "a"

    assert (
        canonical_json({"t": (1, 2), "c": Colour.RED, Kind.A: Kind.A})
        == b'{"a":"a","c":1,"t":[1,2]}'
    )


def test_errors_are_value_errors() -> None:
    assert issubclass(CanonicalJSONError, ValueError)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_round_trip_and_idempotent(value: object) -> None:
    out = canonical_json(value)
    back = json.loads(out.decode("utf-8"))
    assert back == value
    assert canonical_json(back) == out
    reference = json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )
    assert out == reference.encode("utf-8")
    assert b"\n" not in out.replace(b"\\n", b"")


def test_deep_and_circular_values_are_rejected_cleanly() -> None:
    deep: list[object] = []
    cur = deep
    for _ in range(2000):
        nxt: list[object] = []
        cur.append(nxt)
        cur = nxt
    with pytest.raises(CanonicalJSONError, match="too deeply"):
        canonical_json(deep)
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(CanonicalJSONError):
        canonical_json(loop)


def test_docs_example() -> None:
    assert canonical_json({"b": [True, None], "a": "é\n", "A": 1.5}) == (
        '{"A":1.5,"a":"é\\n","b":[true,null]}'.encode()
    )
