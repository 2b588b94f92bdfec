"""Scrubbing JSON-like payloads before they reach the ledger, logs or preference pairs.

`scrub(obj)` returns a copy of a nested dict/list/str structure with secrets and personal
data masked; it never mutates its input and never raises on JSON-like data.

It uses the FAST PATH on purpose: regex candidates and validators only, no model. Two reasons:
(1) the costs are reversed compared with a PR gate. Masking a harmless value in a ledger
payload costs nothing, while a missed secret is stored forever in an append-only log, so
the model, whose job is to drop candidates, would only ever make the scrubber leakier;
(2) it runs on every ledger append and log line, where loading the model and computing
features would be the dominant cost. The bare high-entropy rule is left out: hashes, commit
SHAs and node ids are what the ledger records, and masking them would destroy its meaning.
Secrets without a recognisable format are still caught by their key name (`password`,
`token`, `authorization` …) or by an assignment inside a string (`password=…`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from checks.pii.candidates import find_candidates
from checks.pii.masking import mask_value
from checks.pii.models import PiiType

SCRUB_DISABLED = (PiiType.HIGH_ENTROPY,)
_SECRET_KEY = re.compile(
    r"(?:^|[_\-.])(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_\-]?key|apikey|access[_\-]?key"
    r"|private[_\-]?key|client[_\-]?secret|authorization|credentials?|cookie|session[_\-]?id)"
    r"(?:$|[_\-.])",
    re.IGNORECASE,
)
_MAX_PASSES = 4
_MEMO_LEN = 256  # strings up to this length are memoised (ids, enums, titles repeat)
_MEMO_SIZE = 4096


@lru_cache(maxsize=_MEMO_SIZE)
def secret_key_name(key: str) -> bool:
    """Whether a mapping key names a credential (its string value is masked whole)."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key)
    return bool(_SECRET_KEY.search(snake))


def scrub_text(text: str) -> str:
    """`text` with every detected value (fast path) replaced by its mask, all occurrences.

    A pure function of `text`: short strings (keys, enums, ids repeat across payloads) are
    answered from a bounded LRU memo of earlier results, long ones are scanned every time.
    """
    if len(text) <= _MEMO_LEN:
        return _scrub_short(text)
    return _scrub_scan(text)


@lru_cache(maxsize=_MEMO_SIZE)
def _scrub_short(text: str) -> str:
    return _scrub_scan(text)


def _scrub_scan(text: str) -> str:
    out = text
    seen: set[str] = set()
    for _ in range(_MAX_PASSES):
        cands = find_candidates(out, "", disabled=SCRUB_DISABLED)
        fresh = [c for c in cands if c.value not in seen]
        if not fresh:
            break
        for c in sorted(fresh, key=lambda c: len(c.value), reverse=True):
            seen.add(c.value)
            out = out.replace(c.value, mask_value(c.value, c.kind))
    for value in sorted(seen, key=len, reverse=True):
        if value in out:  # a replacement re-created a value: mask the leftovers bluntly
            out = out.replace(value, "[redacted]")
    return out


def scrub(obj: Any) -> Any:
    """A masked copy of a JSON-like value (dict, list, tuple, str, numbers, None, bool)."""
    if isinstance(obj, str):
        return scrub_text(obj)
    if isinstance(obj, dict):
        out: dict[Any, Any] = {}
        for key, value in obj.items():
            new_key = scrub_text(key) if isinstance(key, str) else key
            if isinstance(key, str) and isinstance(value, str) and value and secret_key_name(key):
                out[new_key] = "[redacted]"
            else:
                out[new_key] = scrub(value)
        return out
    if isinstance(obj, list):
        return [scrub(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(scrub(v) for v in obj)
    return obj
