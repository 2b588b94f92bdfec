"""The dependency (SBOM) delta of a pull request: only the manifests it touched are fetched at
the base and head commits, diffed, and the changed components matched against the OSV index.

Which files are read (docs/sbom.md, "In a pull request"):

1. changed files whose *name* is a lockfile, manifest or SBOM (`detect_format` by name);
2. changed `*.txt` / `*.in` files with other names whose added lines (GitHub's patch) and head
   content read as a pip requirements file (`looks_like_requirements`), at most `MAX_SNIFF`;
3. every `-r` include of a requirements file read in 1–3, at base and at head (at most
   `MAX_INCLUDES` per commit);
4. for a file found by content (2) that no file of 1–2 includes — typically a fragment such
   as `common.txt` that other requirements files `-r` — the requirements files with
   conventional names next to it (`PROBE_NAMES`, and `requirements.txt` one folder up when it
   sits in a requirements-like folder) at head, at most `MAX_PROBES`; those that include it
   (directly or through other includes) are diffed too, as the change reaches them.

A changed file that a diffed requirements file includes is reported through that file (its
components keep their own file and line), not as a manifest of its own.

Files are read through anything with the port's `get_file` (`FileSource`): GitHub for a pull
request, the local git repository for `maestro proof`, so both diff the same manifests.
"""

from __future__ import annotations

import posixpath
from typing import Protocol

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.osv_store import advisory_count, index_for
from checks.changes import FileChange
from checks.sbom.delta import diff_manifest
from checks.sbom.models import Delta, Finding, ParseProblem
from checks.sbom.parsers import Resolver, detect_format, split_manifest
from checks.sbom.parsers.sniff import (
    SNIFF_SUFFIXES,
    looks_like_requirements,
    patch_may_be_requirements,
)
from checks.sbom.scan import findings_for_delta

MAX_MANIFESTS = 50
MAX_SNIFF = 20
MAX_INCLUDES = 30
MAX_PROBES = 8
PROBE_NAMES = ("requirements.txt", "requirements-dev.txt", "dev-requirements.txt")
_INCLUDE_DEPTH = 5


class FileSource(Protocol):
    """Where the files of a commit are read from (`handlers.port.GitHubPort` is one)."""

    async def get_file(self, repo: str, path: str, ref: str) -> bytes | None: ...


class SbomResult(BaseModel):
    manifests: list[str] = Field(default_factory=list, description="the files diffed")
    deltas: list[Delta] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    problems: list[ParseProblem] = Field(
        default_factory=list, description="what could not be read at head"
    )
    base_problems: list[ParseProblem] = Field(default_factory=list)
    advisories: int = Field(default=0, description="advisories in the offline index")


def touched_manifests(files: list[FileChange]) -> list[FileChange]:
    """Changed files that are dependency manifests, lockfiles or SBOM documents by name."""
    return [f for f in files if detect_format(f.filename, "") is not None][:MAX_MANIFESTS]


def may_touch_manifests(files: list[FileChange]) -> bool:
    """False when no changed file can be a manifest (by name, or a `*.txt`/`*.in` to sniff)."""
    return any(
        detect_format(f.filename, "") is not None or f.filename.lower().endswith(SNIFF_SUFFIXES)
        for f in files
    )


def _include_path(target: str, including: str) -> str | None:
    path = posixpath.normpath(posixpath.join(posixpath.dirname(including), target))
    return None if path.startswith(("../", "/")) or path == ".." else path


class _Commit:
    """Files of one commit, fetched through the port at most once each."""

    def __init__(self, github: FileSource, repo: str, sha: str) -> None:
        self.github, self.repo, self.sha = github, repo, sha
        self.files: dict[str, bytes | None] = {}
        self.fetched_includes = 0

    async def get(self, path: str) -> bytes | None:
        if path not in self.files:
            self.files[path] = await self.github.get_file(self.repo, path, self.sha)
        return self.files[path]

    def resolver(self, wanted: list[str] | None = None, seen: set[str] | None = None) -> Resolver:
        """Reads includes from what was fetched; records the paths asked for."""

        def resolve(target: str, including: str) -> bytes | None:
            path = _include_path(target, including)
            if path is None:
                return None
            if seen is not None:
                seen.add(path)
            if path not in self.files and wanted is not None:
                wanted.append(path)
            return self.files.get(path)

        return resolve

    async def includes(self, path: str, data: bytes | None, fmt: str | None) -> set[str]:
        """Fetch the `-r` includes of a requirements file (transitively, bounded); returns the
        paths it includes. Other formats include nothing."""
        seen: set[str] = set()
        if data is None or fmt != "requirements":
            return seen
        for _ in range(_INCLUDE_DEPTH):
            wanted: list[str] = []
            seen.clear()
            split_manifest(path, data, fmt="requirements", resolve=self.resolver(wanted, seen))
            if not wanted or self.fetched_includes >= MAX_INCLUDES:
                break
            for include in dict.fromkeys(wanted):
                if self.fetched_includes >= MAX_INCLUDES:
                    break
                self.fetched_includes += 1
                await self.get(include)
        return seen


def _probe_paths(path: str) -> list[str]:
    folder = posixpath.dirname(path)
    out = [posixpath.join(folder, name) for name in PROBE_NAMES]
    leaf = posixpath.basename(folder).lower()
    if folder and any(word in leaf for word in ("requirements", "constraints", "reqs")):
        out.append(posixpath.join(posixpath.dirname(folder), "requirements.txt"))
    return [p for p in out if p != path]


async def _sniffed(files: list[FileChange], base: _Commit, head: _Commit) -> list[FileChange]:
    """Changed `*.txt`/`*.in` files with unusual names that read as requirements files."""
    out: list[FileChange] = []
    candidates = [
        f
        for f in files
        if detect_format(f.filename, "") is None and f.filename.lower().endswith(SNIFF_SUFFIXES)
    ]
    fetched = 0
    for f in candidates:
        if f.patch is not None and not patch_may_be_requirements(f.patch):
            continue  # an added line is prose: not worth a request
        if fetched >= MAX_SNIFF:
            break
        fetched += 1
        side = base if f.status == "removed" else head
        data = await side.get(f.previous_filename or f.filename if side is base else f.filename)
        text = data.decode("utf-8", "replace") if data else ""
        if text and looks_like_requirements(f.filename, text):
            out.append(f)
    return out


async def _manifests(
    files: list[FileChange], base: _Commit, head: _Commit
) -> list[tuple[str, str, str, str | None]]:
    """(path, base path, status, format) of every manifest to diff, by the docstring's rules;
    the format is None when the name tells it."""
    named = touched_manifests(files)
    sniffed = await _sniffed(files, base, head)
    fmt: dict[str, str | None] = {c.filename: None for c in named}
    fmt.update({c.filename: "requirements" for c in sniffed})
    changes = named + sniffed
    is_req = {
        c.filename: fmt[c.filename] == "requirements"
        or detect_format(c.filename, "") == "requirements"
        for c in changes
    }
    included: set[str] = set()
    for c in changes:
        if is_req[c.filename] and c.status != "removed":
            data = await head.get(c.filename)
            included |= await head.includes(c.filename, data, "requirements")
    paths = {c.filename for c in changes}
    extra: list[str] = []
    probes = 0
    for c in sniffed:
        if c.filename in included or c.status == "removed":
            continue
        for candidate in _probe_paths(c.filename):
            if candidate in paths or candidate in extra or probes >= MAX_PROBES:
                continue
            probes += 1
            reached = await head.includes(candidate, await head.get(candidate), "requirements")
            if c.filename in reached:
                extra.append(candidate)
                included |= reached
    out = [
        (c.filename, c.previous_filename or c.filename, c.status, fmt[c.filename])
        for c in changes
        if c.filename not in included
    ]
    out += [(p, p, "modified", None) for p in extra]
    return out[:MAX_MANIFESTS]


async def sbom_delta(
    sessions: async_sessionmaker[AsyncSession],
    github: FileSource,
    repo: str,
    base_sha: str,
    head_sha: str,
    files: list[FileChange],
) -> SbomResult:
    """The manifests' deltas (`manifest_deltas`) and the advisories the app's OSV index finds in
    the changed components."""
    result = await manifest_deltas(github, repo, base_sha, head_sha, files)
    if not result.manifests:
        return result
    async with sessions() as session:
        result.advisories = await advisory_count(session)
        changed = [c for d in result.deltas for c in d.head_changed()]
        index = await index_for(session, changed)
    result.findings = findings_for_delta(result.deltas, index)
    return result


async def manifest_deltas(
    source: FileSource, repo: str, base_sha: str, head_sha: str, files: list[FileChange]
) -> SbomResult:
    """The delta of every manifest the change touched (the module docstring's rules), without
    advisories."""
    result = SbomResult()
    base_commit, head_commit = _Commit(source, repo, base_sha), _Commit(source, repo, head_sha)
    for path, old_path, status, fmt in await _manifests(files, base_commit, head_commit):
        base = None if status == "added" else await base_commit.get(old_path)
        head = None if status == "removed" else await head_commit.get(path)
        kind = fmt or detect_format(path, "")
        await base_commit.includes(old_path, base, kind)
        await head_commit.includes(path, head, kind)
        manifest_delta = diff_manifest(
            path,
            base,
            head,
            fmt=fmt,
            resolve=head_commit.resolver(),
            base_resolve=_renamed(base_commit.resolver(), path, old_path),
        )
        result.manifests.append(path)
        result.deltas.append(manifest_delta)
        result.problems.extend(manifest_delta.problems)
        result.base_problems.extend(manifest_delta.base_problems)
    return result


def _renamed(resolve: Resolver, path: str, old_path: str) -> Resolver:
    """The base's includes sit next to the base file, which a rename may have moved."""
    if posixpath.dirname(path) == posixpath.dirname(old_path):
        return resolve

    def moved(target: str, including: str) -> str | bytes | None:
        rel = posixpath.relpath(posixpath.dirname(including) or ".", posixpath.dirname(path) or ".")
        return resolve(target, posixpath.join(posixpath.dirname(old_path), rel, "x"))

    return moved
