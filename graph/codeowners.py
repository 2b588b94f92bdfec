"""CODEOWNERS: parse the rules and find a file's owners the way GitHub does.

GitHub reads the first of `.github/CODEOWNERS`, `CODEOWNERS`, `docs/CODEOWNERS` that exists;
for each file the *last* matching rule wins, and a rule with no owners leaves the file unowned.
Owners are `@user`, `@org/team` or an email address. Bad lines become findings naming the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from graph.globs import PathPattern, unsupported_syntax
from graph.ids import Finding

LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
_OWNER = re.compile(r"^(@[A-Za-z0-9][A-Za-z0-9-]*(/[A-Za-z0-9._-]+)?|[^@\s]+@[^@\s]+\.[^@\s]+)$")


@dataclass(frozen=True)
class Rule:
    line: int
    pattern: PathPattern
    owners: tuple[str, ...]


@dataclass(frozen=True)
class CodeOwners:
    path: str
    rules: tuple[Rule, ...]
    findings: tuple[Finding, ...]

    def owners_of(self, path: str) -> tuple[str, ...]:
        """Owners of `path`: the last matching rule wins; () if none matches or it has no owners."""
        for rule in reversed(self.rules):
            if rule.pattern.matches(path):
                return rule.owners
        return ()


def _split(line: str) -> list[str]:
    # An unescaped `#` after whitespace starts a comment; `\ ` escapes a space in a pattern.
    tokens: list[str] = []
    current = ""
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line) and line[i + 1] == " ":
            current += " "
            i += 2
            continue
        if ch.isspace():
            if current:
                tokens.append(current)
                current = ""
        elif ch == "#" and not current:
            break
        else:
            current += ch
        i += 1
    if current:
        tokens.append(current)
    return tokens


def parse(path: str, text: str) -> CodeOwners:
    rules: list[Rule] = []
    findings: list[Finding] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        tokens = _split(raw.strip())
        if not tokens:
            continue
        pattern, owners = tokens[0], tokens[1:]
        problem = unsupported_syntax(pattern)
        if problem:
            findings.append(Finding(path=path, line=lineno, code=problem, detail=pattern))
            continue
        bad = [o for o in owners if not _OWNER.match(o)]
        if bad:
            # GitHub skips a line with invalid syntax entirely.
            findings.append(Finding(path=path, line=lineno, code="invalid_owner", detail=bad[0]))
            continue
        rules.append(Rule(lineno, PathPattern.compile(pattern), tuple(owners)))
    return CodeOwners(path, tuple(rules), tuple(findings))


def select(paths: set[str] | frozenset[str]) -> str | None:
    """Which CODEOWNERS file GitHub uses, given the repository's paths."""
    for candidate in LOCATIONS:
        if candidate in paths:
            return candidate
    return None
