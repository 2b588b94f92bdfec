"""The shape every format parser shares.

A parser first *splits* a file into keyed raw entries (cheap: text blocks or decoded JSON
objects) and only *builds* `Component` objects for the entries asked for. A full parse builds
them all; a differential parse compares base and head entries first and builds only the ones
that differ, which is where the differential scan saves its time.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from checks.sbom.ecosystems import make_purl, normalise_name
from checks.sbom.models import Component, ParseProblem

# (ecosystem, normalised name, discriminator): entries of one package share the first two.
EntryKey = tuple[str, str, str]
Builder = Callable[[EntryKey, Any], list[Component]]
# resolve(path as written, file it is written in) -> text of that file, or None. Reads `-r`
# includes of requirements files, and the manifest next to a lockfile (Pipfile, pyproject.toml,
# package.json) that tells which locked packages are direct dependencies.
Resolver = Callable[[str, str], "str | bytes | None"]


def read_sibling(resolve: Resolver | None, name: str, file: str) -> str | None:
    """Text of the file `name` next to `file`, when the caller can read it; else None."""
    if resolve is None:
        return None
    try:
        data = resolve(name, file)
    except Exception:  # a resolver's trouble only costs the direct/transitive flag
        return None
    if data is None:
        return None
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data


@dataclass
class Split:
    file: str
    format: str
    entries: dict[EntryKey, Any] = field(default_factory=dict)
    build: Builder = field(default=lambda _k, _r: [])
    problems: list[ParseProblem] = field(default_factory=list)
    # where each entry sits (kept apart from the raw entry so that moving lines is no change)
    positions: dict[EntryKey, Any] = field(default_factory=dict)

    def build_all(self) -> list[Component]:
        return self.build_keys(self.entries)

    def build_keys(self, keys: Iterable[EntryKey]) -> list[Component]:
        """Components of the given entries; an entry that cannot be read becomes a problem."""
        out: list[Component] = []
        for key in keys:
            try:
                out.extend(self.build(key, self.entries[key]))
            except ManifestError as exc:
                self.problems.append(problem(self.file, self.format, str(exc), exc.line))
            except Exception as exc:  # a malformed entry must never escape to the caller
                self.problems.append(
                    problem(self.file, self.format, f"{type(exc).__name__}: {exc}", None)
                )
        return out


class ManifestError(ValueError):
    """A parser's complaint about its input, with the 1-based line when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class Lines:
    """Offset -> 1-based line number, and needle -> line.

    Look-ups made in document order (which is how entries are built) cost O(distance since
    the previous one): newlines are counted from the last position and `seek` searches on
    from the last hit. Out-of-order look-ups fall back to counting from the start, and once
    there are many of those, to a bisected index of line starts.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] | None = None
        self._backwards = 0
        self._pos = 0
        self._line = 1
        self._cursor = 0

    def line_of(self, offset: int) -> int:
        if self._starts is not None:
            return bisect_right(self._starts, offset)
        if offset >= self._pos:
            self._line += self.text.count("\n", self._pos, offset)
            self._pos = offset
            return self._line
        self._backwards += 1
        if self._backwards > 32:
            lengths = map(len, self.text.split("\n")[:-1])
            self._starts = list(accumulate(lengths, lambda a, n: a + n + 1, initial=0))
            return bisect_right(self._starts, offset)
        return self.text.count("\n", 0, offset) + 1

    def find_line(self, needle: str, start: int = 0) -> int | None:
        pos = self.text.find(needle, start)
        return None if pos < 0 else self.line_of(pos)

    def seek(self, needle: str) -> int | None:
        """Line of the next occurrence of `needle` after the previous hit (else the first)."""
        pos = self.text.find(needle, self._cursor)
        if pos < 0:
            pos = self.text.find(needle)
            if pos < 0:
                return None
        self._cursor = pos + len(needle)
        return self.line_of(pos)


def key_for(ecosystem: str, name: str, disc: str = "") -> EntryKey:
    return (ecosystem, normalise_name(ecosystem, name), disc)


def component(
    *,
    name: str,
    version: str,
    ecosystem: str,
    file: str,
    line: int | None,
    direct: bool | None = None,
    dev: bool | None = None,
    licence: str | None = None,
    purl: str | None = None,
) -> Component:
    return Component(
        name=name,
        version=version,
        ecosystem=ecosystem,
        purl=purl
        if purl is not None
        else (make_purl(ecosystem, name, version) if ecosystem else None),
        direct=direct,
        dev=dev,
        licence=licence or None,
        file=file,
        line=line,
    )


_TOML_LINE = re.compile(r"at line (\d+)")


def toml_error_line(exc: Exception, first_line: int) -> int | None:
    """Absolute line of a tomllib error raised while parsing a block starting at first_line."""
    m = _TOML_LINE.search(str(exc))
    if not m:
        return first_line
    return first_line + int(m.group(1)) - 1


def problem(file: str, fmt: str, message: str, line: int | None = None) -> ParseProblem:
    return ParseProblem(file=file, line=line, message=message, format=fmt)


def load_json_object(text: str, file: str, fmt: str, split: Split) -> dict[str, Any] | None:
    """The document's top-level object, or None with the problem (and its line) on `split`."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        split.problems.append(problem(file, fmt, f"invalid JSON: {exc.msg}", exc.lineno))
        return None
    except RecursionError:
        split.problems.append(problem(file, fmt, "JSON nested too deeply", None))
        return None
    if not isinstance(doc, dict):
        split.problems.append(problem(file, fmt, "top level is not an object", 1))
        return None
    return doc
