"""The shape every format parser shares.

A parser first *splits* a file into keyed raw entries (cheap: text blocks or decoded JSON
objects) and only *builds* `Component` objects for the entries asked for. A full parse builds
them all; a differential parse compares base and head entries first and builds only the ones
that differ, which is where the differential scan saves its time.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from checks.sbom.ecosystems import make_purl, normalise_name
from checks.sbom.models import Component, ParseProblem

# (ecosystem, normalised name, discriminator): entries of one package share the first two.
EntryKey = tuple[str, str, str]
Builder = Callable[[EntryKey, Any], list[Component]]


@dataclass
class Split:
    file: str
    format: str
    entries: dict[EntryKey, Any] = field(default_factory=dict)
    build: Builder = field(default=lambda _k, _r: [])
    problems: list[ParseProblem] = field(default_factory=list)

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
    """Offset -> 1-based line number; counts directly for a few look-ups, bisects for many."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] | None = None
        self._lookups = 0

    def line_of(self, offset: int) -> int:
        self._lookups += 1
        if self._starts is None and self._lookups > 32:
            self._starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        if self._starts is not None:
            return bisect_right(self._starts, offset)
        return self.text.count("\n", 0, offset) + 1

    def find_line(self, needle: str, start: int = 0) -> int | None:
        pos = self.text.find(needle, start)
        return None if pos < 0 else self.line_of(pos)


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
