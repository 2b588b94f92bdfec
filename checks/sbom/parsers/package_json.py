"""package.json: the declared dependencies of an npm project (a manifest, not a lockfile), and
the root's direct dependencies that the npm v1 and yarn v1 lockfiles do not record."""

from __future__ import annotations

import json
import re
from typing import Any

from checks.sbom.ecosystems import NPM
from checks.sbom.parsers.base import (
    EntryKey,
    Lines,
    Split,
    component,
    key_for,
    load_json_object,
)

_DEP_FIELDS = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")


class RootDeps:
    """What a package.json asks for: name -> the ranges it is asked for with."""

    def __init__(self, ranges: dict[str, set[str]], workspaces: bool) -> None:
        self.ranges = ranges
        self.workspaces = workspaces  # then other package.json files add direct dependencies

    def direct(self, name: str, descriptors: list[str] | None = None) -> bool | None:
        """True/False when the root's own manifest settles it, None when it cannot: a name the
        root does not ask for may still be a workspace's direct dependency; with
        `descriptors` (yarn's `name@range` keys of one lock entry) the entry is direct only if
        it serves the root's range."""
        if name not in self.ranges:
            return None if self.workspaces else False
        if descriptors is None:
            return True
        wanted = {f"{name}@{r}" for r in self.ranges[name]}
        if wanted & set(descriptors):
            return True
        return None if self.workspaces else False


def root_deps(text: str | None) -> RootDeps | None:
    """The root dependencies of a package.json text; None when absent or unreadable."""
    if text is None:
        return None
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(doc, dict):
        return None
    ranges: dict[str, set[str]] = {}
    for field in _DEP_FIELDS:
        deps = doc.get(field)
        if isinstance(deps, dict):
            for name, spec in deps.items():
                ranges.setdefault(str(name), set()).add(str(spec))
    return RootDeps(ranges, bool(doc.get("workspaces")))


_EXACT = re.compile(r"^=?v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")


def split_package_json(text: str, file: str) -> Split:
    """package.json: declared dependencies; only exact versions count as versions (ranges
    resolve in the lockfile), so the others have an empty version and are not matched."""
    fmt = "package.json"
    split = Split(file=file, format=fmt)
    doc = load_json_object(text, file, fmt, split)
    if doc is None:
        return split
    for field in ("dependencies", "optionalDependencies", "devDependencies"):
        deps = doc.get(field)
        if isinstance(deps, dict):
            for name, spec in deps.items():
                split.entries.setdefault(key_for(NPM, name, ""), (name, spec, field))
    lines = Lines(text)

    def build(_key: EntryKey, raw: Any) -> list:
        name, spec, field = raw
        version = spec.lstrip("=v") if isinstance(spec, str) and _EXACT.match(spec) else ""
        return [
            component(
                name=name,
                version=version,
                ecosystem=NPM,
                file=file,
                line=lines.find_line(json.dumps(name) + ":"),
                direct=True,
                dev=field == "devDependencies",
            )
        ]

    split.build = build
    return split
