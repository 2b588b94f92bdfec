"""Cargo.lock: v1 (with the `[metadata]` checksum table), v2, v3 and v4."""

from __future__ import annotations

import re
from typing import Any

from checks.sbom.ecosystems import CRATES_IO
from checks.sbom.parsers.base import EntryKey, ManifestError, Split, component, problem
from checks.sbom.parsers.python import _block_key, _load_block, _validate_toml, toml_package_blocks

_CRATES_IO_SOURCES = (
    "registry+https://github.com/rust-lang/crates.io-index",
    "sparse+https://index.crates.io/",
)


def split_cargo_lock(text: str, file: str) -> Split:
    """Packages from crates.io are components; packages without a source are the workspace's
    own crates, whose dependencies are the direct ones; git/other registries keep no
    ecosystem (their names are not crates.io's)."""
    fmt = "Cargo.lock"
    split = Split(file=file, format=fmt)
    lines_of: dict[EntryKey, tuple[int, int]] = {}
    direct: set[str] = set()
    for line, block in toml_package_blocks(text):
        if not re.search(r"^source\s*=", block, re.M):
            try:
                pkg = _load_block("[[package]]", block, line)
            except ManifestError as exc:
                split.problems.append(problem(file, fmt, str(exc), exc.line))
                continue
            for dep in pkg.get("dependencies", []) or []:
                if isinstance(dep, str) and dep:
                    direct.add(dep.split()[0])
            continue
        key, name_line = _block_key(CRATES_IO, block, line)
        split.entries[key] = block
        lines_of[key] = (line, name_line)

    def build(key: EntryKey, block: Any) -> list:
        header_line, line = lines_of[key]
        pkg = _load_block("[[package]]", block, header_line)
        name, version, source = pkg.get("name"), pkg.get("version"), pkg.get("source")
        if not isinstance(name, str) or not isinstance(version, str):
            raise ManifestError("package without name or version", line)
        from_crates_io = isinstance(source, str) and source.startswith(_CRATES_IO_SOURCES)
        return [
            component(
                name=name,
                version=version,
                ecosystem=CRATES_IO if from_crates_io else "",
                file=file,
                line=line,
                direct=(name in direct) if direct else None,
            )
        ]

    split.build = build
    if not split.entries and "[[package]]" not in text:
        _validate_toml(text, file, fmt, split)
    return split
