"""npm-family lockfiles: package-lock.json / npm-shrinkwrap.json (v1–v3), yarn.lock (v1 and
berry) and pnpm-lock.yaml (v5, v6, v9)."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from checks.sbom.ecosystems import NPM
from checks.sbom.parsers.base import (
    EntryKey,
    Lines,
    ManifestError,
    Resolver,
    Split,
    component,
    key_for,
    load_json_object,
    problem,
    read_sibling,
)
from checks.sbom.parsers.package_json import root_deps

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml_load(text: str, first_line: int = 1) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = first_line + mark.line if mark is not None else first_line
        raise ManifestError(f"invalid YAML: {exc}".splitlines()[0], line) from exc


def _licence(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("type"), str):
        return value["type"]
    return None


# --- package-lock.json ------------------------------------------------------------------

_LOCK_KEY = r'^\s*"((?:[^"\\]|\\.)*)"\s*:\s*\{'


def split_package_lock(text: str, file: str, resolve: Resolver | None = None) -> Split:
    """package-lock.json v2/v3 name the root's dependencies in `packages[""]`. A v1 lock does
    not: an entry nested under another package is transitive; a top-level one is direct when
    the package.json next to the lock (read through `resolve`) asks for it, and without that
    file when no other entry requires it; otherwise unknown (None)."""
    fmt = "package-lock.json"
    split = Split(file=file, format=fmt)
    doc = load_json_object(text, file, fmt, split)
    if doc is None:
        return split
    lines = Lines(text)
    packages = doc.get("packages")
    if isinstance(packages, dict):
        root = packages.get("", {}) if isinstance(packages.get(""), dict) else {}
        direct: set[str] = set()
        for field in (
            "dependencies",
            "devDependencies",
            "optionalDependencies",
            "peerDependencies",
        ):
            deps = root.get(field)
            if isinstance(deps, dict):
                direct.update(deps)
        for path, entry in packages.items():
            if not path or "node_modules/" not in path:
                continue  # the root project and workspace folders are not dependencies
            if isinstance(entry, dict) and entry.get("link"):
                continue
            name = path.rsplit("node_modules/", 1)[1]
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                name = entry["name"]
            split.entries[key_for(NPM, name, path)] = entry

        def build(key: EntryKey, entry: Any) -> list:
            path = key[2]
            line = lines.seek(json.dumps(path) + ":")
            if not isinstance(entry, dict):
                raise ManifestError(f"entry {path!r} is not an object", line)
            name = entry.get("name") or path.rsplit("node_modules/", 1)[1]
            version = entry.get("version")
            if not isinstance(version, str):
                version = ""
            top = path.count("node_modules/") == 1 and path.startswith("node_modules/")
            return [
                component(
                    name=str(name),
                    version=version,
                    ecosystem=NPM,
                    file=file,
                    line=line,
                    direct=top and name in direct,
                    dev=bool(entry.get("dev") or entry.get("devOptional")),
                    licence=_licence(entry.get("license")),
                )
            ]

        split.build = build
        return split
    deps = doc.get("dependencies")
    v1_offsets: dict[str, list[int]] = {}
    if isinstance(deps, dict):  # lockfileVersion 1: a nested tree
        root = root_deps(read_sibling(resolve, "package.json", file))
        required: set[str] = set()
        stack: list[tuple[str, dict[str, Any]]] = [("", deps)]
        while stack:
            prefix, level = stack.pop()
            for name, entry in level.items():
                path = f"{prefix}node_modules/{name}"
                split.entries[key_for(NPM, name, path)] = entry
                if isinstance(entry, dict) and isinstance(entry.get("requires"), dict):
                    required.update(entry["requires"])
                if isinstance(entry, dict) and isinstance(entry.get("dependencies"), dict):
                    stack.append((path + "/", entry["dependencies"]))

        def v1_direct(path: str, name: str) -> bool | None:
            if path.count("node_modules/") > 1:
                return False
            if root is not None:
                return root.direct(name)
            return True if name not in required else None

        def build_v1(key: EntryKey, entry: Any) -> list:
            path = key[2]
            name = path.rsplit("node_modules/", 1)[1]
            if not isinstance(entry, dict):
                raise ManifestError(f"entry {name!r} is not an object")
            version = entry.get("version")
            version = version if isinstance(version, str) else ""
            line = _v1_line(lines, v1_offsets, name, version)
            return [
                component(
                    name=name,
                    version=version,
                    ecosystem=NPM,
                    file=file,
                    line=line,
                    direct=v1_direct(path, name),
                    dev=bool(entry.get("dev")),
                )
            ]

        split.build = build_v1
        return split
    if "lockfileVersion" not in doc:
        split.problems.append(problem(file, fmt, "no 'packages' or 'dependencies' object", 1))
    return split


def _v1_line(lines: Lines, offsets: dict[str, list[int]], name: str, version: str) -> int | None:
    """Line of the v1 entry `"name": {` whose version is `version` (names repeat in the tree)."""
    if not offsets:
        for m in re.finditer(_LOCK_KEY, lines.text, re.M):
            offsets.setdefault(m.group(1), []).append(m.start())
    want = '"version": ' + json.dumps(version)
    found = offsets.get(name, [])
    for pos in found:
        window = lines.text[pos : pos + 300 + len(want)]
        if want in window.split("}", 1)[0]:
            return lines.line_of(pos)
    return lines.line_of(found[0]) if found else None


# --- yarn.lock --------------------------------------------------------------------------


def _descriptor_name(descriptor: str) -> str:
    d = descriptor.strip().strip('"')
    at = d.find("@", 1)
    name = d if at < 0 else d[:at]
    rest = d[at + 1 :] if at >= 0 else ""
    if rest.startswith("npm:") and "@" in rest[5:]:
        real = rest[4:]  # an alias: alias@npm:real@range
        at2 = real.find("@", 1)
        if at2 > 0:
            return real[:at2]
    return name


def _blocks(text: str) -> list[tuple[int, str]]:
    """Top-level blocks separated by blank lines, with their first line number."""
    out: list[tuple[int, str]] = []
    line = 1
    for part in re.split(r"\n[ \t]*\n", text):
        stripped = part.lstrip("\n")
        lead = len(part) - len(stripped)
        if stripped.strip():
            out.append((line + lead, stripped))
        line += part.count("\n") + 2
    return out


_YARN1_VERSION = re.compile(r'^\s+version:?\s+"?([^"\s]+)"?\s*$', re.M)


def split_yarn_lock(text: str, file: str, resolve: Resolver | None = None) -> Split:
    """yarn.lock v1 (berry: see `_split_yarn_berry`). v1 does not record the root's
    dependencies; with the package.json next to it (through `resolve`) an entry is direct when
    one of its `name@range` keys is a range the root asks for, else `direct` is None."""
    if "__metadata:" in text:
        return _split_yarn_berry(text, file)
    fmt = "yarn.lock"
    split = Split(file=file, format=fmt)
    root = root_deps(read_sibling(resolve, "package.json", file))
    served: set[str] = set()
    lines_of: dict[EntryKey, int] = {}
    for line, block in _blocks(text):
        body = "\n".join(ln for ln in block.splitlines() if not ln.lstrip().startswith("#"))
        if not body.strip():
            continue
        header = body.splitlines()[0]
        if header.startswith((" ", "\t")) or not header.rstrip().endswith(":"):
            split.problems.append(problem(file, fmt, "expected 'name@range:' entry header", line))
            continue
        descriptors = header.rstrip()[:-1].split(",")
        name = _descriptor_name(descriptors[0])
        m = _YARN1_VERSION.search(body)
        version = m.group(1) if m else ""
        key = key_for(NPM, name, f"{version}|{header}")
        keys = [d.strip().strip('"') for d in descriptors]
        split.entries[key] = (name, version, keys, body)
        lines_of[key] = line
        if root is not None and root.direct(name, keys):
            served.add(name)

    def build(key: EntryKey, raw: Any) -> list:
        name, version, keys, _body = raw
        if not version:
            raise ManifestError(f"entry for {name!r} has no version", lines_of[key])
        direct = None
        if root is not None and (name in served or name not in root.ranges):
            direct = root.direct(name, keys)
        return [
            component(
                name=name,
                version=version,
                ecosystem=NPM,
                file=file,
                line=lines_of[key],
                direct=direct,
            )
        ]

    split.build = build
    return split


def _split_yarn_berry(text: str, file: str) -> Split:
    fmt = "yarn.lock (berry)"
    split = Split(file=file, format=fmt)
    lines_of: dict[EntryKey, int] = {}
    direct: set[str] = set()
    for line, block in _blocks(text):
        body = "\n".join(ln for ln in block.splitlines() if not ln.lstrip().startswith("#"))
        if not body.strip() or body.startswith("__metadata:"):
            continue
        res = re.search(r'^\s+resolution:\s*"?([^"\n]+)"?\s*$', body, re.M)
        resolution = res.group(1) if res else ""
        if "@workspace:" in resolution:
            try:
                doc = _yaml_load(body, line)
            except ManifestError as exc:
                split.problems.append(problem(file, fmt, str(exc), exc.line))
                continue
            for entry in (doc or {}).values() if isinstance(doc, dict) else []:
                if isinstance(entry, dict):
                    for field in ("dependencies", "devDependencies", "peerDependencies"):
                        if isinstance(entry.get(field), dict):
                            direct.update(entry[field])
            continue
        name = _descriptor_name(resolution) if resolution else _descriptor_name(body.split(",")[0])
        key = key_for(NPM, name, resolution or body.splitlines()[0])
        split.entries[key] = body
        lines_of[key] = line

    def build(key: EntryKey, body: Any) -> list:
        line = lines_of[key]
        doc = _yaml_load(body, line)
        if not isinstance(doc, dict) or len(doc) != 1:
            raise ManifestError("expected one lockfile entry", line)
        entry = next(iter(doc.values()))
        if not isinstance(entry, dict):
            raise ManifestError("entry is not a mapping", line)
        resolution = str(entry.get("resolution", ""))
        name = _descriptor_name(resolution) if resolution else key[1]
        protocol = resolution[len(name) + 1 :].split(":", 1)[0] if resolution else "npm"
        if protocol in ("link", "portal", "file", "exec", "workspace"):
            return []
        version = str(entry.get("version", ""))
        return [
            component(
                name=name,
                version=version,
                ecosystem=NPM,
                file=file,
                line=line,
                direct=(name in direct) if direct else None,
            )
        ]

    split.build = build
    return split


# --- pnpm-lock.yaml ---------------------------------------------------------------------

_PNPM_ENTRY = re.compile(r"^  (\S[^\n]*):[ \t]*(\{\})?[ \t]*$", re.M)


def _pnpm_name_version(key: str) -> tuple[str, str]:
    k = key.strip().strip("'\"")
    if k.startswith("/"):
        k = k[1:]
    paren = k.find("(")
    if paren > 0:
        k = k[:paren]
    at = k.find("@", 1)
    if at > 0 and "/" not in k[at:]:
        return k[:at], k[at + 1 :]
    # lockfile v5: /name/version_peer or /@scope/name/version_peer
    name, _, version = k.rpartition("/")
    if "_" in version:
        version = version.split("_", 1)[0]
    if at > 0 and not name:
        return k[:at], k[at + 1 :]
    return name, version


def split_pnpm_lock(text: str, file: str) -> Split:
    fmt = "pnpm-lock.yaml"
    split = Split(file=file, format=fmt)
    m = re.search(r"^packages:[ \t]*(\{\})?[ \t]*$", text, re.M)
    head_text = text[: m.start()] if m else text
    try:
        head = _yaml_load(head_text) if head_text.strip() else {}
    except ManifestError as exc:
        split.problems.append(problem(file, fmt, str(exc), exc.line))
        head = {}
    if not isinstance(head, dict):
        split.problems.append(problem(file, fmt, "top level is not a mapping", 1))
        return split
    if "lockfileVersion" not in head:
        split.problems.append(problem(file, fmt, "no lockfileVersion", 1))
    direct: dict[str, bool] = {}  # name -> dev

    def take(deps: Any, dev: bool) -> None:
        if isinstance(deps, dict):
            for dep in deps:
                direct[str(dep)] = direct.get(str(dep), True) and dev

    importers = head.get("importers")
    sections = list(importers.values()) if isinstance(importers, dict) else [head]
    for imp in sections:
        if isinstance(imp, dict):
            take(imp.get("dependencies"), False)
            take(imp.get("optionalDependencies"), False)
            take(imp.get("devDependencies"), True)
    if m is None:
        return split
    body_start = m.end() + 1
    end = re.search(r"^\S", text[body_start:], re.M)
    body_end = body_start + end.start() if end else len(text)
    body = text[body_start:body_end]
    base_line = text.count("\n", 0, body_start) + 1
    starts = list(_PNPM_ENTRY.finditer(body))
    lines_of: dict[EntryKey, int] = {}
    line, prev = base_line, 0
    for i, em in enumerate(starts):
        stop = starts[i + 1].start() if i + 1 < len(starts) else len(body)
        block = body[em.start() : stop]
        name, _version = _pnpm_name_version(em.group(1))
        key = key_for(NPM, name, em.group(1).strip())
        split.entries[key] = block
        line += body.count("\n", prev, em.start())
        prev = em.start()
        lines_of[key] = line

    def build(key: EntryKey, block: Any) -> list:
        line = lines_of[key]
        doc = _yaml_load(block, line)
        if not isinstance(doc, dict) or len(doc) != 1:
            raise ManifestError("expected one package entry", line)
        raw_key, entry = next(iter(doc.items()))
        name, version = _pnpm_name_version(str(raw_key))
        entry = entry if isinstance(entry, dict) else {}
        if isinstance(entry.get("name"), str):
            name = entry["name"]
        if isinstance(entry.get("version"), str):
            version = entry["version"]
        dev = entry.get("dev") if isinstance(entry.get("dev"), bool) else None
        is_direct = name in direct if direct else None
        if dev is None and is_direct:
            dev = direct[name]
        return [
            component(
                name=name,
                version=version,
                ecosystem=NPM,
                file=file,
                line=line,
                direct=is_direct,
                dev=dev,
            )
        ]

    split.build = build
    return split
