"""Unified diffs (`git diff`, GitHub's `.diff` media type) -> the added line numbers per file.

Only what patch coverage needs: for each file in the new tree, which line numbers the change
added. Hunk line counts are honoured, so content lines that look like headers ("--- x") inside a
hunk are read as content. Malformed hunks give problems naming the diff's line.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from checks.evidence.model import EvidenceProblem, as_text, too_large

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


class FileDiff(BaseModel):
    """One file of a diff, by its path in the new tree (old path for deletions)."""

    path: str
    old_path: str | None = None
    status: str = "modified"  # added | modified | deleted | renamed | binary
    added_lines: list[int] = Field(default_factory=list)
    removed: int = 0


class DiffResult(BaseModel):
    files: dict[str, FileDiff] = Field(default_factory=dict)
    problems: list[EvidenceProblem] = Field(default_factory=list)

    @property
    def lines_added(self) -> int:
        return sum(len(f.added_lines) for f in self.files.values())

    @property
    def lines_removed(self) -> int:
        return sum(f.removed for f in self.files.values())


def _unquote(path: str) -> str:
    """git quotes paths with unusual characters ("a/sp\\303\\251cial"): undo that."""
    if len(path) >= 2 and path[0] == '"' and path[-1] == '"':
        raw = path[1:-1].encode("latin-1", errors="replace").decode("unicode_escape")
        return raw.encode("latin-1", errors="replace").decode("utf-8", errors="replace")
    return path


def _strip_prefix(path: str) -> str | None:
    path = _unquote(path.split("\t", 1)[0].rstrip())
    if path == "/dev/null":
        return None
    if path[:2] in ("a/", "b/"):
        return path[2:]
    return path


def _git_header_paths(line: str) -> tuple[str, str] | None:
    rest = line[len("diff --git ") :]
    if rest.startswith('"'):
        return None
    # "a/x b/x": split at the middle " b/" (ambiguous only for paths containing " b/")
    idx = rest.find(" b/")
    if not rest.startswith("a/") or idx < 0:
        return None
    return rest[2:idx], rest[idx + 3 :]


def parse_unified_diff(text: str | bytes, name: str = "diff") -> DiffResult:
    """Parse a unified diff into added line numbers per new-tree path."""
    result = DiffResult()
    big = too_large(text, name, None)
    if big:
        result.problems.append(big)
        return result
    lines = as_text(text).splitlines()
    current: FileDiff | None = None
    old_path: str | None = None
    old_left = new_left = 0
    new_line = 0
    # True between a "diff --git" header and its "+++" line; plain `diff -u` output has none,
    # so there a "---" line starts a new file.
    git_section = False
    for idx, line in enumerate(lines, start=1):
        if old_left > 0 or new_left > 0:
            tag = line[:1]
            if tag == "+" and current is not None:
                current.added_lines.append(new_line)
                new_line += 1
                new_left -= 1
                continue
            if tag == "-" and current is not None:
                current.removed += 1
                old_left -= 1
                continue
            if tag == " " or line == "":
                new_line += 1
                new_left -= 1
                old_left -= 1
                continue
            if tag == "\\":
                continue
            result.problems.append(
                EvidenceProblem(file=name, line=idx, code="diff_hunk_short", detail=line[:80])
            )
            old_left = new_left = 0
        if line.startswith("\\"):
            continue
        if line.startswith("diff --git "):
            git_section = True
            paths = _git_header_paths(line)
            current = None
            old_path = None
            if paths:
                old_path = paths[0]
                current = _file(result, paths[1], old_path)
        elif line.startswith("--- "):
            if not git_section:
                current = None
            old_path = _strip_prefix(line[4:])
        elif line.startswith("+++ "):
            git_section = False
            new_path = _strip_prefix(line[4:])
            if new_path is None:
                if old_path is None:
                    continue
                if current is not None and current.path != old_path:
                    result.files.pop(current.path, None)
                current = _file(result, old_path, old_path)
                current.status = "deleted"
            else:
                if current is not None and current.path != new_path:
                    result.files.pop(current.path, None)
                current = _file(result, new_path, old_path)
                if old_path is None:
                    current.status = "added"
        elif line.startswith("rename from ") and current is not None:
            current.status = "renamed"
        elif line.startswith("new file mode") and current is not None:
            current.status = "added"
        elif line.startswith("deleted file mode") and current is not None:
            current.status = "deleted"
        elif line.startswith("Binary files") and current is not None:
            current.status = "binary"
        elif line.startswith("@@"):
            match = _HUNK.match(line)
            if match is None or current is None:
                result.problems.append(
                    EvidenceProblem(file=name, line=idx, code="diff_bad_hunk", detail=line[:80])
                )
                continue
            old_left = int(match.group(2) if match.group(2) is not None else 1)
            new_left = int(match.group(4) if match.group(4) is not None else 1)
            new_line = int(match.group(3))
    if old_left > 0 or new_left > 0:
        result.problems.append(
            EvidenceProblem(file=name, line=len(lines), code="diff_hunk_short", detail="<eof>")
        )
    return result


def _file(result: DiffResult, path: str, old_path: str | None) -> FileDiff:
    entry = result.files.get(path)
    if entry is None:
        entry = FileDiff(path=path, old_path=old_path if old_path != path else None)
        result.files[path] = entry
    return entry
