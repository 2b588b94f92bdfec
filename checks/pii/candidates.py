"""The regex stage: run every rule over a text, validate, resolve overlaps, locate lines.

This stage alone is the "regex-only" baseline; the hybrid scanner passes its candidates
to the model. It works on a whole text at once (faster than line by line) and maps
offsets back to 0-based line indexes and columns.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from itertools import accumulate

from checks.pii.filetypes import Lang, language_of
from checks.pii.manifests import (
    LOCKFILE_EXEMPT_KINDS,
    dependency_lines,
    in_package_file_name,
    is_lockfile,
    is_manifest,
)
from checks.pii.models import Candidate, PiiType
from checks.pii.rules import RULES, Rule, unquoted_allowed

MAX_VALUE_CHARS = 12_000
ASSIGNMENT_RULE = "secret_assignment"


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(accumulate(len(line) + 1 for line in text.split("\n")))
    starts.pop()
    return starts


def ascii_lower(text: str) -> str:
    """Lowercase with offsets preserved (str.lower can change the length of non-ASCII text)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)


def _anchored(rule: Rule, text: str) -> Iterable[re.Match[str]]:
    """Matches of `rule.pattern` on the lines where an anchor of the rule matches (each line
    once, in text order)."""
    lines: set[tuple[int, int]] = set()
    for anchor in rule.anchors:
        done_until = -1
        for a in anchor.finditer(text):
            if a.start() < done_until:
                continue
            begin = text.rfind("\n", 0, a.start()) + 1
            stop = text.find("\n", a.start())
            stop = len(text) if stop < 0 else stop
            done_until = stop
            lines.add((begin, stop))
    for begin, stop in sorted(lines):
        yield from rule.pattern.finditer(text, begin, stop)


def _rule_matches(
    rule: Rule, text: str, low: str, lang: Lang, context_filters: bool = True
) -> Iterable[tuple[int, int, str]]:
    subject = low if rule.lower else text
    if rule.hints and not any(h in subject for h in rule.hints):
        return
    validate = rule.validate
    reject = rule.reject_context if context_filters else None
    matches = _anchored(rule, subject) if rule.anchors else rule.pattern.finditer(subject)
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
        if reject is not None and reject(text, start, end):
            continue
        if validate is not None and not validate(value, lang):
            continue
        yield start, end, value


def _outside_dependency_maps(
    matches: Iterable[tuple[int, int, str]], text: str, path: str, starts: list[int]
) -> Iterable[tuple[int, int, str]]:
    """Drops `name = value` matches that declare dependencies: everywhere in a lockfile, and
    inside the dependency maps of a known manifest (`"js-tokens": ...`, `tokenizers = ...`)."""
    if is_lockfile(path):
        return
    if not is_manifest(path):
        yield from matches
        return
    exempt: set[int] | None = None
    for start, end, value in matches:
        if exempt is None:
            exempt = dependency_lines(text, path)
        if bisect_right(starts, start) - 1 not in exempt:
            yield start, end, value


def _outside_package_file_names(
    matches: Iterable[tuple[int, int, str]], text: str
) -> Iterable[tuple[int, int, str]]:
    """In a lockfile, drops high-entropy runs that are part of a distribution file name."""
    for start, end, value in matches:
        if not in_package_file_name(text, end):
            yield start, end, value


def find_candidates(
    text: str,
    path: str,
    disabled: Iterable[PiiType] = (),
    rules: Iterable[Rule] = RULES,
    context_filters: bool = True,
) -> list[Candidate]:
    """All validated candidates in `text`, most specific rule first on overlaps, in text order.

    `context_filters=False` keeps the matches that only their surroundings rule out (digests in
    a digest notation, dependency declarations, personal-data formats in lockfiles): the
    training corpus uses it to find the lines that are hard negatives.
    """
    lang = language_of(path)
    off = frozenset(disabled)
    lockfile = is_lockfile(path)
    if context_filters and lockfile:
        off |= LOCKFILE_EXEMPT_KINDS
    low = ascii_lower(text)
    starts = _line_starts(text)
    raw: list[tuple[int, int, int, str, Rule]] = []
    for rule in rules:
        if rule.kind in off:
            continue
        matches = _rule_matches(rule, text, low, lang, context_filters)
        if rule.name == ASSIGNMENT_RULE and context_filters:
            matches = _outside_dependency_maps(matches, text, path, starts)
        elif rule.kind is PiiType.HIGH_ENTROPY and context_filters and lockfile:
            matches = _outside_package_file_names(matches, text)
        for start, end, value in matches:
            raw.append((-rule.priority, start, end, value, rule))
    raw.sort(key=lambda r: (r[0], r[1]))
    # The spans kept so far are disjoint, so sorted by start their ends are sorted too: a new
    # span overlaps one of them only if it overlaps its neighbour on either side (O(log n)).
    taken_starts: list[int] = []
    taken_ends: list[int] = []
    kept: list[tuple[int, int, str, Rule]] = []
    for _prio, start, end, value, rule in raw:
        i = bisect_right(taken_starts, start)
        if i > 0 and taken_ends[i - 1] > start:
            continue
        if i < len(taken_starts) and taken_starts[i] < end:
            continue
        taken_starts.insert(i, start)
        taken_ends.insert(i, end)
        kept.append((start, end, value, rule))
    kept.sort(key=lambda r: r[0])
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
