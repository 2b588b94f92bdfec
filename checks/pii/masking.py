"""Masking: how a detected value is shown. The output never contains the raw value.

Only what carries no secret is kept: a provider's fixed prefix (`ghp_`, `AKIA`, `sk_live_`)
or an email's top-level domain, so a reviewer can tell what kind of thing was found.
Masks have a fixed width so they do not leak the value's length either.
"""

from __future__ import annotations

from collections.abc import Sequence

from checks.pii.models import PiiType

_STARS = "********"
_MAX_EXCERPT = 160

_PREFIXES = (
    "github_pat_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "sk_live_", "sk_test_", "rk_live_",
    "rk_test_", "xoxb-", "xoxp-", "xoxa-", "xoxo-", "xoxs-", "xoxr-", "xoxe-", "AKIA", "ASIA",
    "AIza", "eyJ", "https://hooks.slack.com/",
)  # fmt: skip


def mask_value(value: str, kind: PiiType) -> str:
    """A fixed-width mask revealing at most a non-secret prefix (never more than a third)."""
    if kind is PiiType.PRIVATE_KEY:
        return "-----BEGIN PRIVATE KEY----- " + _STARS
    if kind is PiiType.EMAIL and "@" in value:
        domain = value.rsplit("@", 1)[1]
        tld = domain.rsplit(".", 1)[-1] if "." in domain else ""
        return f"{_STARS}@{_STARS}.{tld}" if 0 < len(tld) * 3 <= len(value) else _mask_plain(kind)
    for prefix in _PREFIXES:
        if value.startswith(prefix) and len(prefix) * 3 <= len(value):
            return prefix + _STARS
    return _mask_plain(kind)


def _mask_plain(kind: PiiType) -> str:
    return f"[{kind.value}:{_STARS}]"


def mask_line(
    line: str,
    spans: list[tuple[int, int, PiiType, str]],
    elsewhere: Sequence[tuple[str, PiiType]] = (),
) -> str:
    """`line` with each (col_start, col_end, kind, value) span replaced by its mask.

    Spans may run past the end of the line (multi-line values); they are clipped. `elsewhere`
    are (value, kind) pairs detected on other lines of the file, longest first: a copy of one
    of them on this line is masked too, even where the regex did not match it (glued text).
    """
    out: list[str] = []
    pos = 0
    for start, end, kind, value in sorted(spans, key=lambda s: s[0]):
        start = max(start, pos)
        if start > len(line):
            break
        out.append(line[pos:start])
        out.append(mask_value(value, kind))
        pos = min(max(end, start), len(line))
    out.append(line[pos:])
    masked = "".join(out)
    for _s, _e, _k, value in spans:
        # Belt and braces: a value repeated elsewhere on the line is masked too.
        if value and value in masked:
            masked = masked.replace(value, _mask_plain(_k))
    for value, kind in elsewhere:
        if len(value) <= len(masked) and value in masked:
            masked = masked.replace(value, _mask_plain(kind))
    return masked


def excerpt(masked_line: str, focus: int) -> str:
    """Trim an already-masked line to a readable window around column `focus`."""
    text = masked_line.strip("\r\n")
    if len(text) <= _MAX_EXCERPT:
        return text
    half = _MAX_EXCERPT // 2
    begin = max(0, min(focus - half, len(text) - _MAX_EXCERPT))
    window = text[begin : begin + _MAX_EXCERPT]
    return ("…" if begin > 0 else "") + window + ("…" if begin + _MAX_EXCERPT < len(text) else "")
