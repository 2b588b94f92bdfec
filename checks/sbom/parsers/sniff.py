"""Is this oddly named text file a pip requirements file? A strict test, bounded in size.

Requirements files are often named after what they are for (`requirements/main.txt`,
`common.txt`, `ci.in`), so a pull request's changed `*.txt` / `*.in` files are looked at by
content too. Arbitrary text files are common, so the test is strict:

* every logical line (comments and blank lines aside, `\\` continuations joined) is either a
  PEP 508 requirement (per-requirement options such as `--hash` removed) or a pip option
  (`-r other.txt`, `--index-url …`, `-e .`), or a URL/path to an archive;
* at least one line is a requirement;
* outside a requirements-like folder (a path segment containing `requirements`, `constraints`
  or `reqs`), at least one line must also pin or bound a version, or be a pip option; a list
  of bare words is not enough there.

Files larger than `MAX_SNIFF_BYTES` are never taken for requirements files.
"""

from __future__ import annotations

import re

from packaging.requirements import InvalidRequirement, Requirement

MAX_SNIFF_BYTES = 512 * 1024
SNIFF_SUFFIXES = (".txt", ".in")

_OPTION = re.compile(r"^--?[A-Za-z][A-Za-z-]*(=|\s|$)")
_PER_REQ_OPTION = re.compile(r"\s--(hash|config-settings|global-option)(=|\s+)\S+")
_ARCHIVE = re.compile(r"^(\w+\+)?(https?|file)://\S+$|^\.{0,2}/\S+$")
_REQ_FOLDER = re.compile(r"(^|/)[^/]*(requirements|constraints|reqs)[^/]*/", re.I)
_VERSIONED = re.compile(r"(===?|~=|>=|<=|!=|>|<)\s*[0-9*]|@\s*\S+://")


def _strip_comment(line: str) -> str:
    pos = line.find("#")
    while pos >= 0:
        if pos == 0 or line[pos - 1] in " \t":
            return line[:pos]
        pos = line.find("#", pos + 1)
    return line


def _logical(text: str) -> list[str]:
    out: list[str] = []
    buf = ""
    for raw in text.splitlines():
        if raw.endswith("\\"):
            buf += raw[:-1] + " "
            continue
        line = _strip_comment(buf + raw).strip()
        buf = ""
        if line:
            out.append(line)
    if buf.strip():
        out.append(_strip_comment(buf).strip())
    return out


def classify_line(line: str) -> str | None:
    """'requirement', 'versioned' (a requirement with a version or URL), 'option', or None
    when the line is neither (prose)."""
    if _OPTION.match(line):
        return "option"
    if _ARCHIVE.match(line):
        return "option"
    text = _PER_REQ_OPTION.sub("", " " + line).strip()
    try:
        Requirement(text)
    except InvalidRequirement:
        return None
    return "versioned" if _VERSIONED.search(text) else "requirement"


def looks_like_requirements(path: str, text: str) -> bool:
    """True when `text` (the content of `path`) reads as a pip requirements file (see above)."""
    if len(text) > MAX_SNIFF_BYTES:
        return False
    kinds = [classify_line(line) for line in _logical(text)]
    if not kinds or None in kinds:
        return False
    if not any(k in ("requirement", "versioned") for k in kinds):
        return False
    if _REQ_FOLDER.search(path.replace("\\", "/")):
        return True
    return any(k in ("versioned", "option") for k in kinds)


def patch_may_be_requirements(patch: str) -> bool:
    """A cheap pre-test on a unified diff (GitHub's per-file `patch`): False when an added line
    is prose, so the file need not be fetched at all."""
    for raw in patch.splitlines():
        if not raw.startswith("+") or raw.startswith("+++"):
            continue
        line = _strip_comment(raw[1:].rstrip("\\").rstrip()).strip()
        if line and classify_line(line) is None:
            return False
    return True
