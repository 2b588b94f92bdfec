"""The regex stage: run every rule over a text, validate, resolve overlaps, locate lines.

This stage alone is the "regex-only" baseline; the hybrid scanner passes its candidates
to the model. It works on a whole text at once (faster than line by line) and maps
offsets back to 0-based line indexes and columns.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable

from checks.pii.filetypes import Lang, language_of
from checks.pii.models import Candidate, PiiType
from checks.pii.rules import RULES, Rule, unquoted_allowed

MAX_VALUE_CHARS = 12_000


def _line_starts(text: str) -> list[int]:
    starts = [0]
    find = text.find
    i = find("\n")
    while i != -1:
        starts.append(i + 1)
        i = find("\n", i + 1)
    return starts


def ascii_lower(text: str) -> str:
    """Lowercase with offsets preserved (str.lower can change the length of non-ASCII text)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)


def _anchored(rule: Rule, text: str) -> Iterable[re.Match[str]]:
    """Matches of `rule.pattern` on the lines where `rule.anchor` matches (each line once)."""
    assert rule.anchor is not None
    done_until = -1
    for a in rule.anchor.finditer(text):
        if a.start() < done_until:
            continue
        begin = text.rfind("\n", 0, a.start()) + 1
        stop = text.find("\n", a.start())
        stop = len(text) if stop < 0 else stop
        done_until = stop
        yield from rule.pattern.finditer(text, begin, stop)


def _rule_matches(rule: Rule, text: str, low: str, lang: Lang) -> Iterable[tuple[int, int, str]]:
    subject = low if rule.lower else text
    if rule.hints and not any(h in subject for h in rule.hints):
        return
    validate = rule.validate
    matches = (
        _anchored(rule, subject) if rule.anchor is not None else rule.pattern.finditer(subject)
    )
    for m in matches:
        group = "v"
        start = m.start("v")
        if start < 0:
            group = "v2"
            start = m.start("v2")
            if start < 0 or not unquoted_allowed(lang):
                continue
        end = m.end(group)
        value = text[start:end]
        if rule.name == "private_key_pem":
            value = value.rstrip()
            end = start + len(value)
        if not value or len(value) > MAX_VALUE_CHARS:
            continue
        if validate is not None and not validate(value, lang):
            continue
        yield start, end, value


def find_candidates(
    text: str,
    path: str,
    disabled: Iterable[PiiType] = (),
    rules: Iterable[Rule] = RULES,
) -> list[Candidate]:
    """All validated candidates in `text`, most specific rule first on overlaps, in text order."""
    lang = language_of(path)
    off = frozenset(disabled)
    low = ascii_lower(text)
    raw: list[tuple[int, int, int, str, Rule]] = []
    for rule in rules:
        if rule.kind in off:
            continue
        for start, end, value in _rule_matches(rule, text, low, lang):
            raw.append((-rule.priority, start, end, value, rule))
    raw.sort(key=lambda r: (r[0], r[1]))
    taken: list[tuple[int, int]] = []
    kept: list[tuple[int, int, str, Rule]] = []
    for _prio, start, end, value, rule in raw:
        if any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        kept.append((start, end, value, rule))
    kept.sort(key=lambda r: r[0])
    starts = _line_starts(text)
    out: list[Candidate] = []
    for start, end, value, rule in kept:
        li = bisect_right(starts, start) - 1
        le = bisect_right(starts, max(start, end - 1)) - 1
        out.append(
            Candidate(
                kind=rule.kind,
                rule=rule.name,
                value=value,
                start=start,
                end=end,
                line_index=li,
                col_start=start - starts[li],
                col_end=(end - starts[li]) if le == li else len(_line_at(text, starts, li)),
                end_line_index=le,
            )
        )
    return out


def _line_at(text: str, starts: list[int], index: int) -> str:
    begin = starts[index]
    stop = starts[index + 1] - 1 if index + 1 < len(starts) else len(text)
    return text[begin:stop]
