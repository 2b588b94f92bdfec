"""The one canonical JSON serialisation used by every hash in the ledger.

Every byte string that the ledger hashes -- an entry header (the Merkle leaf
data), a payload (for ``payload_sha256``) -- is produced by
:func:`canonical_json`.  Nothing else in Maestro may serialise hashed data.
The rules are short enough for an auditor to re-implement them
(``docs/ledger.md`` repeats them as a specification):

* **Values.** Only JSON values are accepted: ``dict`` (JSON object) whose keys
  are ``str``, ``list`` or ``tuple`` (JSON array), ``str``, ``int``, ``float``,
  ``bool`` and ``None``.  Anything else (bytes, sets, datetimes, Decimals,
  objects ...) raises :class:`CanonicalJSONError`, as do non-string object
  keys (Python's ``json`` would silently turn ``1`` into ``"1"``).
* **Objects.** Keys sorted by Unicode code point (Python's default ``str``
  ordering), each key appearing once.
* **Whitespace.** None: separators are exactly ``,`` and ``:``.
* **Strings.** Emitted as UTF-8, not ``\\uXXXX`` escaped (``ensure_ascii=False``).
  Only ``"`` -> ``\\"``, ``\\`` -> ``\\\\``, ``\\b \\f \\n \\r \\t`` and the other
  control characters U+0000..U+001F (as ``\\u00xx``, lowercase hex) are
  escaped.  U+007F and everything above are written raw.  Strings containing
  lone surrogates (not encodable as UTF-8) are rejected.
* **Numbers.** Integers in decimal without leading zeros or ``+``.  Finite
  floats as Python's ``repr`` (the shortest round-tripping form, e.g. ``0.1``,
  ``1.0``, ``1e+16``).  ``NaN`` and ``+-Infinity`` are rejected.  Payload
  producers should prefer integers and strings: other languages print floats
  differently, and integers beyond +-(2**53 - 1) do not survive JavaScript.
* **Literals.** ``true``, ``false``, ``null``.
* **Depth.** At most 256 nested arrays/objects (deeper values, and cyclic
  ones, are rejected).
* **Encoding.** The result is the UTF-8 encoding of that text, with no BOM and
  no trailing newline.

The function is pure and deterministic: equal JSON values always give equal
bytes, and ``json.loads(canonical_json(x))`` round-trips the value.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

__all__ = ["CanonicalJSONError", "canonical_json"]


class CanonicalJSONError(ValueError):
    """The value cannot be serialised canonically (it is not plain JSON)."""


_ENCODER = json.JSONEncoder(
    skipkeys=False,
    ensure_ascii=False,
    check_circular=True,
    allow_nan=False,
    sort_keys=True,
    indent=None,
    separators=(",", ":"),
)


def _unsupported(value: Any) -> Any:
    raise TypeError(f"unsupported type {type(value).__name__}")


# The same encoder, pre-built once (json.JSONEncoder.encode rebuilds it on every call).
# Arguments: markers (no circular check: _plain/_check bound the depth), default,
# string encoder (UTF-8 passthrough), indent, key sep, item sep, sort_keys, skipkeys,
# allow_nan.
_fast_encode: Callable[[Any], str]
try:
    from json.encoder import c_make_encoder as _c_make_encoder  # type: ignore[attr-defined]
    from json.encoder import encode_basestring as _encode_str

    if _c_make_encoder is None:  # pragma: no cover - pure-Python json build
        raise ImportError
    _c_encoder = _c_make_encoder(
        None, _unsupported, _encode_str, None, ":", ",", True, False, False
    )

    def _fast_encode(value: Any) -> str:
        return "".join(_c_encoder(value, 0))

except ImportError:  # pragma: no cover
    _fast_encode = _ENCODER.encode


# Subclasses of the JSON types (IntEnum, StrEnum, OrderedDict ...) are accepted
# and serialised as their base JSON value.
_MAX_DEPTH = 256


def _check(value: Any, path: str, depth: int) -> None:
    """Reject anything that is not a plain JSON value, with a precise location."""
    if depth > _MAX_DEPTH:
        raise CanonicalJSONError(f"value nested too deeply at {path}")
    if isinstance(value, str | bool | int | type(None)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CanonicalJSONError(
                f"non-finite number {value!r} at {path}: NaN and Infinity are not JSON"
            )
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalJSONError(
                    f"object key {key!r} at {path} is a {type(key).__name__}; keys must be str"
                )
            _check(item, f"{path}[{key!r}]", depth + 1)
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check(item, f"{path}[{i}]", depth + 1)
        return
    raise CanonicalJSONError(
        f"unsupported type {type(value).__name__} at {path}: only dict, list, tuple, str, "
        "int, float, bool and None are JSON"
    )


_PLAIN_SCALARS = frozenset({str, int, float, bool, type(None)})
_STR_ONLY = frozenset({str})


def _plain(value: Any, depth: int = 0) -> bool:
    """Fast pre-check: only exact dict/list/tuple/scalar types and ``str`` keys.

    The C encoder then does the rest (it rejects NaN/Infinity and unknown
    types itself); anything unusual -- subclasses, odd keys -- takes the slow,
    fully checked path so errors get a precise location.  Flat containers are
    checked without a Python-level loop (``issuperset`` over ``map(type, …)``).
    """
    if depth > _MAX_DEPTH:
        return False
    kind = type(value)
    if kind is dict:
        if not _STR_ONLY.issuperset(map(type, value)):
            return False
        items: Any = value.values()
    elif kind is list or kind is tuple:
        items = value
    else:
        return kind in _PLAIN_SCALARS
    if _PLAIN_SCALARS.issuperset(map(type, items)):
        return True
    for item in items:
        t = type(item)
        if t is dict or t is list or t is tuple:
            if not _plain(item, depth + 1):
                return False
        elif t not in _PLAIN_SCALARS:
            return False
    return True


def canonical_json(obj: Any) -> bytes:
    """Return the canonical UTF-8 JSON encoding of ``obj`` (see the module docstring).

    Raises :class:`CanonicalJSONError` if ``obj`` is not a plain JSON value
    (unsupported type, non-string key, NaN/Infinity, un-encodable string).
    """
    text: str | None = None
    if _plain(obj):
        try:
            text = _fast_encode(obj)
        except (TypeError, ValueError, RecursionError):
            text = None  # NaN/Infinity or too deep: the checked path explains
    if text is None:
        _check(obj, "$", 0)
        try:
            text = _ENCODER.encode(obj)
        except (TypeError, ValueError, RecursionError) as exc:
            raise CanonicalJSONError(str(exc)) from exc
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CanonicalJSONError(
            f"string contains a character that is not valid UTF-8 (lone surrogate): {exc.reason}"
        ) from exc
