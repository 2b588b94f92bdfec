"""Unified-diff parsing: the ADDED lines of each file, with their new-file line numbers.

Reads `git diff` output (with `diff --git` headers, renames, binary markers, quoted paths)
and GitHub's per-file `patch` text (hunks only). Parsing never raises: a malformed hunk is
reported as a `DiffProblem` naming the file and the diff line, and parsing resumes at the
next header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from checks.pii.models import DiffProblem

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_OCTAL = re.compile(rb"\\([0-7]{3})")
_ESCAPES = {b"\\n": b"\n", b"\\t": b"\t", b'\\"': b'"', b"\\\\": b"\\"}


@dataclass
class DiffFile:
    """One file of a diff: its new path and the lines the diff adds to it."""

    path: str
    added: list[tuple[int, str]] = field(default_factory=list)  # (1-based line, text)
    binary: bool = False
    deleted: bool = False


def _unquote(path: str) -> str:
    """Undo git's C-style quoting of unusual paths ("b/caf\\303\\251.txt")."""
    path = path.strip()
    if not (len(path) >= 2 and path[0] == '"' and path[-1] == '"'):
        return path
    raw = path[1:-1].encode("utf-8", "surrogateescape")
    raw = _OCTAL.sub(lambda m: bytes([int(m.group(1), 8)]), raw)
    for esc, real in _ESCAPES.items():
        raw = raw.replace(esc, real)
    return raw.decode("utf-8", "replace")


def _strip_prefix(path: str) -> str:
    path = _unquote(path.split("\t", 1)[0])
    if path.startswith(("a/", "b/")):
        return path[2:]
    return path


def _git_header_path(line: str) -> str:
    """New path from `diff --git a/x b/x` (best effort; the +++ line, if any, overrides it)."""
    rest = line[len("diff --git ") :]
    if rest.startswith('"'):
        end = rest.find('" ', 1)
        rest = rest[end + 2 :] if end > 0 else rest
    else:
        idx = rest.find(" b/")
        rest = rest[idx + 1 :] if idx >= 0 else rest
    return _strip_prefix(rest)


class _Parser:
    def __init__(self, default_path: str) -> None:
        self.files: list[DiffFile] = []
        self.problems: list[DiffProblem] = []
        self.current: DiffFile | None = None
        self.default_path = default_path
        self.new_line = 0
        self.old_left = 0
        self.new_left = 0

    def _file(self) -> DiffFile:
        if self.current is None:
            self.current = DiffFile(path=self.default_path)
            self.files.append(self.current)
        return self.current

    def _start_file(self, path: str) -> None:
        self.current = DiffFile(path=path)
        self.files.append(self.current)
        self.old_left = self.new_left = 0

    def _problem(self, lineno: int, reason: str) -> None:
        path = self.current.path if self.current is not None else self.default_path
        self.problems.append(DiffProblem(path=path, diff_line=lineno, reason=reason))

    def feed(self, lineno: int, line: str) -> None:
        if (self.old_left > 0 or self.new_left > 0) and self._hunk_line(lineno, line):
            return
        if line.startswith("diff --git "):
            self._start_file(_git_header_path(line))
        elif line.startswith("+++ "):
            target = line[4:]
            if target.strip().startswith("/dev/null"):
                self._file().deleted = True
            elif self.current is not None and not self.current.added:
                self.current.path = _strip_prefix(target)
            else:
                self._start_file(_strip_prefix(target))
        elif line.startswith("--- "):
            if self.current is None or self.current.added:
                self._start_file(self.default_path)
        elif line.startswith("Binary files ") or line.startswith("GIT binary patch"):
            self._file().binary = True
        elif line.startswith("deleted file mode"):
            self._file().deleted = True
        elif line.startswith("@@"):
            self._hunk_header(lineno, line)

    def _hunk_header(self, lineno: int, line: str) -> None:
        m = _HUNK.match(line)
        if m is None:
            self._problem(lineno, "malformed_hunk_header")
            return
        self._file()
        self.old_left = int(m.group(2)) if m.group(2) is not None else 1
        self.new_line = int(m.group(3))
        self.new_left = int(m.group(4)) if m.group(4) is not None else 1

    def _hunk_line(self, lineno: int, line: str) -> bool:
        """Consume one line of a hunk body; False if it is not one (the hunk ended early)."""
        tag = line[:1]
        if tag == "+":
            self._file().added.append((self.new_line, line[1:].rstrip("\r")))
            self.new_line += 1
            self.new_left -= 1
        elif tag == "-":
            self.old_left -= 1
        elif tag == " " or line == "":
            self.new_line += 1
            self.new_left -= 1
            self.old_left -= 1
        elif tag == "\\":
            return True  # "\ No newline at end of file"
        else:
            self._problem(lineno, "hunk_shorter_than_header")
            self.old_left = self.new_left = 0
            return False
        if self.new_left < 0 or self.old_left < 0:
            self._problem(lineno, "hunk_longer_than_header")
            self.old_left = self.new_left = 0
        return True


def parse_diff(text: str, default_path: str = "") -> tuple[list[DiffFile], list[DiffProblem]]:
    """Files with their added lines, and the problems met. Deleted and binary files have none."""
    parser = _Parser(default_path)
    for lineno, line in enumerate(text.split("\n"), start=1):
        parser.feed(lineno, line)
    if parser.new_left > 0 and parser.current is not None:
        parser._problem(lineno, "diff_truncated")
    return parser.files, parser.problems
