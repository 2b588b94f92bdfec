"""Python project manifests: Pipfile.lock (with its Pipfile) and pyproject.toml."""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from checks.sbom.ecosystems import PYPI, pep503
from checks.sbom.parsers.base import (
    EntryKey,
    Lines,
    ManifestError,
    Resolver,
    Split,
    component,
    key_for,
    problem,
    read_sibling,
    toml_error_line,
)


def exact_pin(req: Requirement) -> str:
    """The version of an `==` / `===` pin without wildcards, else ''."""
    specs = list(req.specifier)
    if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
        return specs[0].version
    return ""


# --- Pipfile.lock -----------------------------------------------------------------------


def pipfile_names(text: str) -> set[str] | None:
    """PEP 503 names a Pipfile asks for ([packages] and [dev-packages]); None if unreadable."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    names: set[str] = set()
    for section in ("packages", "dev-packages"):
        table = doc.get(section)
        if isinstance(table, dict):
            names.update(pep503(str(n)) for n in table)
    return names


def split_pipfile_lock(text: str, file: str, resolve: Resolver | None = None) -> Split:
    """Pipfile.lock: JSON with `default` and `develop` sections of pinned packages. The lock
    does not say which packages are direct; the Pipfile next to it does, when it can be read
    (through `resolve`), else `direct` is unknown (None)."""
    fmt = "Pipfile.lock"
    split = Split(file=file, format=fmt)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        split.problems.append(problem(file, fmt, f"invalid JSON: {exc.msg}", exc.lineno))
        return split
    if not isinstance(doc, dict):
        split.problems.append(problem(file, fmt, "top level is not an object", 1))
        return split
    sibling = read_sibling(resolve, "Pipfile", file)
    direct = pipfile_names(sibling) if sibling is not None else None
    lines = Lines(text)
    for section in ("default", "develop"):
        entries = doc.get(section) or {}
        if not isinstance(entries, dict):
            split.problems.append(problem(file, fmt, f"'{section}' is not an object"))
            continue
        for name, entry in entries.items():
            split.entries[key_for(PYPI, name, section)] = (name, entry)

    def build(key: EntryKey, raw: Any) -> list:
        name, entry = raw
        section = key[2]
        if not isinstance(entry, dict):
            raise ManifestError(f"entry {name!r} is not an object")
        version = entry.get("version", "")
        version = version[2:] if isinstance(version, str) and version.startswith("==") else ""
        line = lines.find_line(json.dumps(name) + ":", _section_offset(text, section))
        return [
            component(
                name=name,
                version=version,
                ecosystem=PYPI,
                file=file,
                line=line,
                direct=(pep503(name) in direct) if direct is not None else None,
                dev=section == "develop",
            )
        ]

    split.build = build
    return split


def _section_offset(text: str, section: str) -> int:
    pos = text.find(f'"{section}":')
    return max(pos, 0)


# --- pyproject.toml (a manifest, not a lockfile) -----------------------------------------


def declared_names(text: str) -> set[str] | None:
    """PEP 503 names of the dependencies a pyproject.toml declares (PEP 621, dependency
    groups, Poetry tables); None when it cannot be read or declares none."""
    split = split_pyproject(text, "pyproject.toml")
    if split.problems and not split.entries:
        return None
    return {key[1] for key in split.entries} or None


def split_pyproject(text: str, file: str) -> Split:
    """pyproject.toml: PEP 621 dependencies, optional-dependencies and dependency-groups, and
    Poetry's tables. Only exact pins count as versions."""
    fmt = "pyproject.toml"
    split = Split(file=file, format=fmt)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        split.problems.append(problem(file, fmt, f"invalid TOML: {exc}", toml_error_line(exc, 1)))
        return split
    reqs: list[tuple[str, bool]] = []
    project: dict[str, Any] = doc["project"] if isinstance(doc.get("project"), dict) else {}
    reqs += [(r, False) for r in project.get("dependencies", []) or [] if isinstance(r, str)]
    for group in (project.get("optional-dependencies") or {}).values():
        reqs += [(r, False) for r in group if isinstance(r, str)] if isinstance(group, list) else []
    for group in (doc.get("dependency-groups") or {}).values():
        reqs += [(r, True) for r in group if isinstance(r, str)] if isinstance(group, list) else []
    poetry = (doc.get("tool") or {}).get("poetry") or {}
    tables: list[tuple[Any, bool]] = [(poetry.get("dependencies"), False)]
    tables += [(poetry.get("dev-dependencies"), True)]
    for group in (poetry.get("group") or {}).values():
        if isinstance(group, dict):
            tables.append((group.get("dependencies"), True))
    lines = Lines(text)
    for table, dev in tables:
        if not isinstance(table, dict):
            continue
        for name, spec in table.items():
            if name.lower() == "python":
                continue
            version = spec if isinstance(spec, str) else (spec or {}).get("version", "")
            pin = (
                version if isinstance(version, str) and re.match(r"^\d[\w.!+-]*$", version) else ""
            )
            split.entries.setdefault(key_for(PYPI, name, ""), (name, pin, dev))
    for req_text, dev in reqs:
        try:
            req = Requirement(req_text)
        except InvalidRequirement as exc:
            split.problems.append(
                problem(file, fmt, f"invalid requirement: {exc}", lines.find_line(req_text))
            )
            continue
        split.entries.setdefault(key_for(PYPI, req.name, ""), (req.name, exact_pin(req), dev))

    def build(_key: EntryKey, raw: Any) -> list:
        name, version, dev = raw
        line = lines.find_line(f'"{name}') or lines.find_line(f"{name} =")
        return [
            component(
                name=name,
                version=version,
                ecosystem=PYPI,
                file=file,
                line=line,
                direct=True,
                dev=dev,
            )
        ]

    split.build = build
    return split
