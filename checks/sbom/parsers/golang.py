"""Go modules: go.mod (require / replace, the go and toolchain directives) and go.sum."""

from __future__ import annotations

import re
from typing import Any

from checks.sbom.ecosystems import GO
from checks.sbom.parsers.base import EntryKey, Split, component, key_for, problem

_STRIP_COMMENT = re.compile(r"//.*$")


def _directives(text: str) -> list[tuple[int, str, str, str]]:
    """(line, verb, arguments, comment) for every directive, block forms flattened."""
    out: list[tuple[int, str, str, str]] = []
    block: str | None = None
    for no, raw in enumerate(text.splitlines(), start=1):
        comment = raw.split("//", 1)[1].strip() if "//" in raw else ""
        line = _STRIP_COMMENT.sub("", raw).strip()
        if not line:
            continue
        if block is not None:
            if line == ")":
                block = None
                continue
            out.append((no, block, line, comment))
            continue
        verb, _, rest = line.partition(" ")
        rest = rest.strip()
        if rest == "(":
            block = verb
            continue
        out.append((no, verb, rest, comment))
    return out


def split_go_mod(text: str, file: str) -> Split:
    """go.mod: each `require` is a component (direct unless marked `// indirect`); `replace`
    directives with a module target rewrite it, ones with a local path leave it unversioned;
    the `toolchain` (else `go`) directive becomes the `stdlib` component, as Go's vulnerability
    database names the standard library."""
    fmt = "go.mod"
    split = Split(file=file, format=fmt)
    requires: dict[str, tuple[str, bool, int]] = {}
    replaces: list[tuple[str, str, str, str]] = []
    go_version: tuple[str, int] | None = None
    toolchain: tuple[str, int] | None = None
    module_seen = False
    for no, verb, args, comment in _directives(text):
        parts = args.split()
        if verb == "module":
            module_seen = True
        elif verb == "go" and parts:
            go_version = (parts[0], no)
        elif verb == "toolchain" and parts:
            toolchain = (parts[0].removeprefix("go"), no)
        elif verb == "require":
            if len(parts) < 2:
                split.problems.append(problem(file, fmt, f"malformed require: {args}", no))
                continue
            requires[parts[0].strip('"')] = (parts[1], "indirect" not in comment, no)
        elif verb == "replace":
            if "=>" not in args:
                split.problems.append(problem(file, fmt, f"malformed replace: {args}", no))
                continue
            left, right = (s.split() for s in args.split("=>", 1))
            if not left or not right:
                split.problems.append(problem(file, fmt, f"malformed replace: {args}", no))
                continue
            replaces.append(
                (
                    left[0],
                    left[1] if len(left) > 1 else "",
                    right[0],
                    right[1] if len(right) > 1 else "",
                )
            )
        elif verb not in ("exclude", "retract", "godebug", "tool", "ignore"):
            split.problems.append(problem(file, fmt, f"unknown directive {verb!r}", no))
    if not module_seen and not requires:
        split.problems.append(problem(file, fmt, "no module directive", 1))
    lines_of: dict[EntryKey, int] = {}
    for path, (version, direct, no) in requires.items():
        name, ver = path, version
        for old, old_v, new, new_v in replaces:
            if old == path and (not old_v or old_v == version):
                if new.startswith((".", "/")):
                    ver = ""
                else:
                    name, ver = new, new_v
        key = key_for(GO, name, "")
        split.entries[key] = (name, ver, direct)
        lines_of[key] = no
    std = toolchain or go_version
    if std is not None:
        key = key_for(GO, "stdlib", "")
        split.entries[key] = ("stdlib", std[0], None)
        lines_of[key] = std[1]

    def build(key: EntryKey, raw: Any) -> list:
        name, version, direct = raw
        line = lines_of[key]
        return [
            component(name=name, version=version, ecosystem=GO, file=file, line=line, direct=direct)
        ]

    split.build = build
    return split


def split_go_sum(text: str, file: str) -> Split:
    """go.sum: one component per module version whose content hash is recorded (lines that
    only hash a go.mod file belong to the module graph, not the build)."""
    fmt = "go.sum"
    split = Split(file=file, format=fmt)
    lines_of: dict[EntryKey, int] = {}
    for no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 3 or not parts[2].startswith("h1:"):
            split.problems.append(problem(file, fmt, "expected 'module version h1:hash'", no))
            continue
        path, version = parts[0], parts[1]
        if version.endswith("/go.mod"):
            continue
        key = key_for(GO, path, version)
        split.entries[key] = (path, version, parts[2])
        lines_of[key] = no

    def build(key: EntryKey, raw: Any) -> list:
        path, version, _hash = raw
        return [component(name=path, version=version, ecosystem=GO, file=file, line=lines_of[key])]

    split.build = build
    return split
