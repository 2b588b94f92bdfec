"""Files for `maestro sbom`: reading `-r` includes and sibling manifests from disk or from a git
revision, and finding the manifests under a directory.

A resolver is called as `resolve(target, including)`, where `including` is the path the
parser was given for the including file (see `checks.sbom.parsers.base.Resolver`).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from checks.sbom.parsers import Resolver, detect_format, split_manifest
from checks.sbom.parsers.sniff import MAX_SNIFF_BYTES, SNIFF_SUFFIXES, looks_like_requirements

# Folders never searched for manifests: dependencies' own files, caches and VCS metadata.
SKIP_DIRS = frozenset(
    {"node_modules", ".git", ".hg", ".venv", "venv", "__pycache__", "site-packages", ".tox"}
)
MAX_FILES = 2000


def _beside(anchor: str, real: str, target: str, including: str) -> Path:
    """Where `target`, written in `including`, lives when the parser names files after
    `anchor` but the content of `anchor` was read from `real` (e.g. OLD of `sbom diff`)."""
    rel = os.path.relpath(os.path.dirname(including) or ".", os.path.dirname(anchor) or ".")
    return Path(os.path.dirname(real) or ".") / rel / target


def disk_resolver(anchor: str | None = None, real: str | None = None) -> Resolver:
    """Reads includes from disk, next to the including file; with `anchor`/`real`, next to
    `real` where the parser says `anchor`."""

    def resolve(target: str, including: str) -> bytes | None:
        if anchor is not None and real is not None:
            path = _beside(anchor, real, target, including)
        else:
            path = Path(os.path.dirname(including) or ".") / target
        try:
            return path.read_bytes()
        except OSError:
            return None

    return resolve


class GitRevision:
    """Files of the git repositories holding local paths, at one revision."""

    def __init__(self, rev: str) -> None:
        self.rev = rev
        self._tops: dict[Path, Path | None] = {}

    def _top(self, folder: Path) -> Path | None:
        if folder not in self._tops:
            try:
                out = subprocess.run(
                    ["git", "-C", str(folder), "rev-parse", "--show-toplevel"],
                    capture_output=True,
                    check=True,
                    text=True,
                ).stdout.strip()
                self._tops[folder] = Path(out).resolve()
            except (OSError, subprocess.CalledProcessError):
                self._tops[folder] = None
        return self._tops[folder]

    def read(self, path: str | Path) -> bytes | None:
        """The file at this revision, None when it is not in a repository or not at `rev`."""
        p = Path(path).resolve()
        top = self._top(p.parent) if p.parent.is_dir() else None
        if top is None:
            return None
        try:
            rel = p.relative_to(top).as_posix()
            return subprocess.run(
                ["git", "-C", str(top), "show", f"{self.rev}:{rel}"],
                capture_output=True,
                check=True,
            ).stdout
        except (OSError, ValueError, subprocess.CalledProcessError):
            return None

    def resolver(self) -> Resolver:
        def resolve(target: str, including: str) -> bytes | None:
            return self.read(Path(os.path.dirname(including) or ".") / target)

        return resolve


def _is_manifest(path: Path) -> bool:
    if detect_format(path.name, "") is not None:
        return True
    if not path.name.lower().endswith(SNIFF_SUFFIXES):
        return False
    try:
        if path.stat().st_size > MAX_SNIFF_BYTES:
            return False
        text = path.read_text("utf-8", errors="replace")
    except OSError:
        return False
    return looks_like_requirements(path.as_posix(), text)


def discover(paths: list[str]) -> list[str]:
    """The manifests named, or found under the named directories (lockfiles, manifests and
    SBOMs by name; other `*.txt`/`*.in` files that read as requirements files). A found
    requirements file that another found one includes is scanned through it, not twice."""
    found: list[str] = []
    for given in paths:
        p = Path(given)
        if not p.is_dir():
            found.append(given)
            continue
        for folder, dirs, files in os.walk(p):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
            for name in sorted(files):
                candidate = Path(folder) / name
                if len(found) < MAX_FILES and _is_manifest(candidate):
                    found.append(str(candidate))
    included: set[str] = set()
    read = disk_resolver()
    for path in found:
        if detect_format(path, "") in (None, "requirements") and os.path.isfile(path):
            seen: list[str] = []

            def record(target: str, including: str, seen: list[str] = seen) -> str | bytes | None:
                where = Path(os.path.dirname(including) or ".") / target
                seen.append(os.path.normpath(where))
                return read(target, including)

            split_manifest(path, Path(path).read_bytes(), fmt="requirements", resolve=record)
            included.update(seen)
    return [p for p in found if os.path.normpath(p) not in included]
