"""Go imports: `go.mod` module paths and the import declarations of `.go` files.

A Go import names a package, i.e. a directory; the graph links the importing file to every
non-test `.go` file in that directory. Imports outside every module declared in the repository
(the standard library, third-party modules) produce no edge.
"""

from __future__ import annotations

import posixpath
import re

from graph.ids import Finding

_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_SINGLE = re.compile(r'^\s*import\s+(?:[\w.]+\s+)?"([^"]+)"', re.M)
_BLOCK = re.compile(r"^\s*import\s*\((.*?)\)", re.M | re.S)
_SPEC = re.compile(r'^\s*(?:[\w.]+\s+)?"([^"]+)"', re.M)
_MODULE = re.compile(r"^\s*module\s+\"?([^\s\"]+)\"?", re.M)


def is_go(path: str) -> bool:
    return path.endswith(".go")


def is_go_test(path: str) -> bool:
    return path.endswith("_test.go")


def is_go_mod(path: str) -> bool:
    return posixpath.basename(path) == "go.mod"


def _strip_comments(text: str) -> str:
    # Keep line count stable so line numbers in findings stay right.
    return _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)


def parse_imports(text: str) -> list[str]:
    """Import paths in declaration order, deduplicated."""
    code = _strip_comments(text)
    found = [m.group(1) for m in _SINGLE.finditer(code)]
    for block in _BLOCK.finditer(code):
        found += [m.group(1) for m in _SPEC.finditer(block.group(1))]
    return list(dict.fromkeys(found))


def parse_go_mod(path: str, text: str) -> tuple[str | None, list[Finding]]:
    """The module path declared in a go.mod, or a finding if there is none."""
    match = _MODULE.search(_strip_comments(text))
    if match is None:
        return None, [Finding(path=path, line=1, code="go_mod_without_module")]
    return match.group(1), []


def package_dir(import_path: str, modules: dict[str, str]) -> str | None:
    """Repository directory of an import path, given {module path: module root directory}."""
    best: str | None = None
    for mod in modules:
        if (import_path == mod or import_path.startswith(mod + "/")) and (
            best is None or len(mod) > len(best)
        ):
            best = mod
    if best is None:
        return None
    rest = import_path[len(best) :].lstrip("/")
    root = modules[best]
    return posixpath.join(root, rest).rstrip("/") if root else rest
