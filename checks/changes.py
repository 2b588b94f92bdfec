"""The changed files of a pull request, as the pure checks see them, and the same list made from
a local `git diff` (what `maestro proof` feeds the engine instead of GitHub's `pulls/files`)."""

from __future__ import annotations

from pydantic import BaseModel

# git's status letters -> GitHub's `pulls/{n}/files` statuses.
GIT_STATUS = {
    "A": "added",
    "C": "copied",
    "D": "removed",
    "M": "modified",
    "R": "renamed",
    "T": "changed",
    "U": "changed",
    "X": "changed",
}


class FileChange(BaseModel):
    """One changed file (the fields of GitHub's `pulls/{n}/files` entries that checks use)."""

    filename: str
    status: str = "modified"
    additions: int = 0
    deletions: int = 0
    changes: int = 0
    patch: str | None = None
    previous_filename: str | None = None


class GitDiffError(ValueError):
    """`git diff --name-status -z` and `git diff` output that do not describe the same files."""


def parse_name_status(z_output: str) -> list[tuple[str, str, str | None]]:
    """(status letter, path, previous path) from `git diff --name-status -z` (renames and copies
    carry two paths, every other status one)."""
    parts = z_output.split("\0")
    if parts and parts[-1] == "":
        parts.pop()
    entries: list[tuple[str, str, str | None]] = []
    i = 0
    while i < len(parts):
        letter = parts[i][:1]
        if letter in ("R", "C"):
            if i + 2 >= len(parts):
                raise GitDiffError(f"{parts[i]} entry without two paths")
            entries.append((letter, parts[i + 2], parts[i + 1]))
            i += 3
        else:
            if i + 1 >= len(parts) or not letter:
                raise GitDiffError(f"entry {parts[i]!r} without a path")
            entries.append((letter, parts[i + 1], None))
            i += 2
    return entries


def _sections(diff_text: str) -> list[list[str]]:
    """`git diff` output cut at each file's `diff --git` header. Inside a hunk every line starts
    with ' ', '+', '-' or '\\', so a header can only ever start a new file."""
    sections: list[list[str]] = []
    for line in diff_text.split("\n"):
        if line.startswith("diff --git "):
            sections.append([])
        if sections:
            sections[-1].append(line)
    return sections


def _patch(section: list[str]) -> str | None:
    """GitHub's `patch`: the hunks of one file, from its first `@@` (None for binary files and
    mode-only changes, which have no hunk)."""
    for i, line in enumerate(section):
        if line.startswith("@@"):
            body = section[i:]
            while body and body[-1] == "":
                body.pop()
            return "\n".join(body)
    return None


def changes_from_git(name_status: str, diff_text: str) -> list[FileChange]:
    """The changed files of `git diff -M A B`, given that command's `--name-status -z` output
    (names exactly, however git would quote them) and its patch output (same options, same
    order: git emits one `diff --git` section per entry)."""
    entries = parse_name_status(name_status)
    sections = _sections(diff_text)
    if len(entries) != len(sections):
        raise GitDiffError(f"{len(entries)} changed paths but {len(sections)} diff sections")
    changes: list[FileChange] = []
    for (letter, path, previous), section in zip(entries, sections, strict=True):
        patch = _patch(section)
        lines = patch.split("\n") if patch else []
        additions = sum(1 for x in lines if x.startswith("+"))
        deletions = sum(1 for x in lines if x.startswith("-"))
        changes.append(
            FileChange(
                filename=path,
                status=GIT_STATUS.get(letter, "modified"),
                additions=additions,
                deletions=deletions,
                changes=additions + deletions,
                patch=patch,
                previous_filename=previous,
            )
        )
    return changes
