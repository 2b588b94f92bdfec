"""Python lockfiles: requirements files, poetry.lock and uv.lock."""

from __future__ import annotations

import posixpath
import re
import tomllib
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from checks.sbom.ecosystems import PYPI, pep503
from checks.sbom.parsers.base import (
    EntryKey,
    ManifestError,
    Resolver,
    Split,
    component,
    key_for,
    problem,
    read_sibling,
    toml_error_line,
)
from checks.sbom.parsers.pyproject import declared_names, exact_pin

# --- requirements files -----------------------------------------------------------------

_OPTION_WITH_ARG = re.compile(
    r"^(-r|--requirement|-c|--constraint|-e|--editable|-i|--index-url|--extra-index-url|"
    r"-f|--find-links|--trusted-host|--no-binary|--only-binary|--config-settings|"
    r"--global-option|--use-feature|--hash|--progress-bar)(=|\s+|$)(.*)$"
)
_PER_REQ_OPTION = re.compile(r"\s--(hash|config-settings|global-option)(=|\s+)\S+")
_ENV_VAR = re.compile(r"\$\{[A-Za-z0-9_]+\}")
_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _strip_comment(line: str) -> str:
    """pip's rule: '#' at the start or after whitespace begins a comment."""
    pos = line.find("#")
    while pos >= 0:
        if pos == 0 or line[pos - 1] in " \t":
            return line[:pos]
        pos = line.find("#", pos + 1)
    return line


def _logical_lines(text: str) -> list[tuple[int, str, list[str]]]:
    """(first line number, joined line without comments, comment lines that follow it).
    `--hash` continuation lines are dropped here: they never change what is installed."""
    out: list[tuple[int, str, list[str]]] = []
    buf: list[str] = []
    start = 0
    for no, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not buf:
            if not stripped:
                continue
            start = no
            if stripped[0] == "#":
                if out:
                    out[-1][2].append(stripped)
                continue
        elif stripped.startswith("--hash"):
            if raw.endswith("\\"):
                continue
            raw = ""
        if raw.endswith("\\"):
            buf.append(raw[:-1])
            continue
        buf.append(raw)
        line = _strip_comment(" ".join(buf)).strip()
        buf = []
        if line:
            out.append((start, line, []))
    if buf:
        line = _strip_comment(" ".join(buf)).strip()
        if line:
            out.append((start, line, []))
    return out


def split_requirements(
    text: str, file: str, resolve: Resolver | None = None, _seen: set[str] | None = None
) -> Split:
    """requirements*.txt (pip, pip-compile, uv pip compile): pins, extras, markers, --hash,
    -r includes (read through `resolve`), per-requirement options. An unpinned requirement
    becomes a component with an empty version (it cannot be matched)."""
    fmt = "requirements"
    seen = _seen if _seen is not None else {file}
    split = Split(file=file, format=fmt)
    lines = _logical_lines(text)
    compiled = any(c.startswith("# via") for _, _, comments in lines for c in comments)
    comps: dict[EntryKey, Any] = {}
    for lineno, line, comments in lines:
        line = _ENV_VAR.sub("", line)
        if line.startswith("-"):
            m = _OPTION_WITH_ARG.match(line)
            if m and m.group(1) in ("-r", "--requirement") and m.group(3).strip():
                target = m.group(3).strip()
                path = posixpath.normpath(posixpath.join(posixpath.dirname(file), target))
                if path in seen:
                    continue
                seen.add(path)
                data = resolve(target, file) if resolve is not None else None
                if data is None:
                    split.problems.append(
                        problem(file, fmt, f"included file {target} could not be read", lineno)
                    )
                    continue
                sub_text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
                sub = split_requirements(sub_text, path, resolve, seen)
                split.problems.extend(sub.problems)
                for key, raw in sub.entries.items():
                    if key not in comps:
                        comps[key] = raw
                        split.positions[key] = sub.positions.get(key)
            continue
        req_text = _PER_REQ_OPTION.sub("", " " + line).strip()
        if "://" in req_text and "@" not in req_text.split("://", 1)[0]:
            continue  # a bare URL or path to an archive: no name to match
        via = " ".join(comments)
        direct = ("-r " in via or "via -r" in via) if compiled else True
        m = _REQ_NAME.match(req_text)
        marker = req_text.split(";", 1)[1].strip() if ";" in req_text else ""
        key = key_for(PYPI, m.group(1) if m else req_text, f"{file}|{marker}")
        if key not in comps:
            comps[key] = (req_text, direct, file)
            split.positions[key] = lineno
    split.entries = comps

    def build(key: EntryKey, raw: Any) -> list:
        req_text, direct, src = raw
        lineno = split.positions.get(key)
        try:
            req = Requirement(req_text)
        except InvalidRequirement as exc:
            raise ManifestError(f"invalid requirement: {exc}", lineno) from exc
        version = exact_pin(req) if req.url is None else ""
        return [
            component(
                name=req.name, version=version, ecosystem=PYPI, file=src, line=lineno, direct=direct
            )
        ]

    split.build = build
    return split


# --- TOML [[package]] lockfiles ---------------------------------------------------------

_NAME_LINE = re.compile(r'^name\s*=\s*"([^"]*)"\s*$', re.M)
_VERSION_LINE = re.compile(r'^version\s*=\s*"([^"]*)"\s*$', re.M)


def toml_package_blocks(
    text: str, header: str = "[[package]]", stop: tuple[str, ...] = ("\n[metadata]",)
) -> list[tuple[int, str]]:
    """(first line, block text) for each array-of-tables entry; cheap, no TOML parsing."""
    end = len(text)
    for marker in stop:
        pos = text.find(marker)
        if pos >= 0:
            end = min(end, pos + 1)
    body = text[:end]
    marker = "\n" + header + "\n"
    first = body.find(header + "\n")
    if first < 0:
        return []
    if first != 0 and body[first - 1] != "\n":
        first = body.find(marker)
        if first < 0:
            return []
        first += 1
    line = body.count("\n", 0, first) + 1
    blocks: list[tuple[int, str]] = []
    for part in body[first + len(header) + 1 :].split(marker):
        blocks.append((line, part))
        line += part.count("\n") + 2
    return blocks


def _load_block(header: str, block: str, line: int) -> dict[str, Any]:
    try:
        doc = tomllib.loads(header + "\n" + block)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"invalid TOML: {exc}", toml_error_line(exc, line)) from exc
    key = header.strip("[]")
    entries = doc.get(key)
    if not isinstance(entries, list) or not entries or not isinstance(entries[0], dict):
        raise ManifestError("package entry is not a table", line)
    return entries[0]


def _block_key(ecosystem: str, block: str, line: int) -> tuple[EntryKey, int]:
    """The entry key of a [[package]] block and the line of its `name =` (else its header)."""
    n = _NAME_LINE.search(block)
    v = _VERSION_LINE.search(block)
    name = n.group(1) if n else ""
    version = v.group(1) if v else ""
    name_line = line + 1 + block.count("\n", 0, n.start()) if n else line
    return key_for(ecosystem, name, f"{version}#{line if not name else ''}"), name_line


def split_poetry_lock(text: str, file: str, resolve: Resolver | None = None) -> Split:
    """poetry.lock (lock-version 1.x and 2.x): [[package]] tables; dev from category/groups.
    The lock does not say which packages are direct; the pyproject.toml next to it does, when
    it can be read (through `resolve`), else `direct` is unknown (None)."""
    fmt = "poetry.lock"
    split = Split(file=file, format=fmt)
    sibling = read_sibling(resolve, "pyproject.toml", file)
    direct = declared_names(sibling) if sibling is not None else None
    lines_of: dict[EntryKey, tuple[int, int]] = {}
    for line, block in toml_package_blocks(text):
        key, name_line = _block_key(PYPI, block, line)
        split.entries[key] = block
        lines_of[key] = (line, name_line)

    def build(key: EntryKey, block: Any) -> list:
        header_line, line = lines_of[key]
        pkg = _load_block("[[package]]", block, header_line)
        name, version = pkg.get("name"), pkg.get("version")
        if not isinstance(name, str) or not isinstance(version, str):
            raise ManifestError("package without name or version", line)
        dev: bool | None = None
        if "category" in pkg:
            dev = pkg.get("category") == "dev"
        elif isinstance(pkg.get("groups"), list):
            dev = "main" not in pkg["groups"]
        is_direct = (pep503(name) in direct) if direct is not None else None
        return [
            component(
                name=name,
                version=version,
                ecosystem=PYPI,
                file=file,
                line=line,
                direct=is_direct,
                dev=dev,
            )
        ]

    split.build = build
    if not split.entries and "[[package]]" not in text:
        _validate_toml(text, file, fmt, split)
    return split


def _validate_toml(text: str, file: str, fmt: str, split: Split) -> None:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        split.problems.append(problem(file, fmt, f"invalid TOML: {exc}", toml_error_line(exc, 1)))


def split_uv_lock(text: str, file: str) -> Split:
    """uv.lock: [[package]] tables (older uv: [[distribution]]); the project itself (virtual,
    editable, directory sources) is not a component but names the direct dependencies."""
    fmt = "uv.lock"
    header = "[[package]]" if "[[package]]" in text else "[[distribution]]"
    split = Split(file=file, format=fmt)
    lines_of: dict[EntryKey, tuple[int, int]] = {}
    direct: set[str] = set()
    dev_direct: set[str] = set()
    for line, block in toml_package_blocks(text, header, stop=()):
        key, name_line = _block_key(PYPI, block, line)
        if re.search(r"^source\s*=\s*\{\s*(virtual|editable)\s*=", block, re.M):
            try:
                root = _load_block(header, block, line)
            except ManifestError as exc:
                split.problems.append(problem(file, fmt, str(exc), exc.line))
                continue
            for dep in root.get("dependencies", []) or []:
                if isinstance(dep, dict) and isinstance(dep.get("name"), str):
                    direct.add(pep503(dep["name"]))
            for group in (root.get("dev-dependencies") or {}).values():
                for dep in group if isinstance(group, list) else []:
                    if isinstance(dep, dict) and isinstance(dep.get("name"), str):
                        dev_direct.add(pep503(dep["name"]))
            continue
        split.entries[key] = block
        lines_of[key] = (line, name_line)

    def build(key: EntryKey, block: Any) -> list:
        header_line, line = lines_of[key]
        pkg = _load_block(header, block, header_line)
        name, version = pkg.get("name"), pkg.get("version")
        if not isinstance(name, str):
            raise ManifestError("package without name", line)
        if not isinstance(version, str):
            version = ""
        norm = pep503(name)
        is_direct = (norm in direct or norm in dev_direct) if (direct or dev_direct) else None
        dev = (norm in dev_direct and norm not in direct) if is_direct else None
        return [
            component(
                name=name,
                version=version,
                ecosystem=PYPI,
                file=file,
                line=line,
                direct=is_direct,
                dev=dev,
            )
        ]

    split.build = build
    if not split.entries and header not in text:
        _validate_toml(text, file, fmt, split)
    return split
