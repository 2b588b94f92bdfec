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
* **Encoding.** The result is the UTF-8 encoding of that text, with no BOM and
  no trailing newline.

The function is pure and deterministic: equal JSON values always give equal
bytes, and ``json.loads(canonical_json(x))`` round-trips the value.
"""

from __future__ import annotations

import json
import math
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

# Exact types we accept; subclasses (IntEnum, StrEnum, custom dict ...) are
# accepted too and serialised as their base JSON value.
_SCALARS = (str, int, float, bool, type(None))


def _check(value: Any, path: str, depth: int) -> None:
    """Reject anything that is not a plain JSON value, with a precise location."""
    if depth > 512:
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


def canonical_json(obj: Any) -> bytes:
    """Return the canonical UTF-8 JSON encoding of ``obj`` (see the module docstring).

    Raises :class:`CanonicalJSONError` if ``obj`` is not a plain JSON value
    (unsupported type, non-string key, NaN/Infinity, un-encodable string).
    """
    _check(obj, "$", 0)
    try:
        text = _ENCODER.encode(obj)
    except (TypeError, ValueError) as exc:  # pragma: no cover - _check catches these first
        raise CanonicalJSONError(str(exc)) from exc
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CanonicalJSONError(
            f"string contains a character that is not valid UTF-8 (lone surrogate): {exc.reason}"
        ) from exc
