"""Python imports: parse with `ast`, then list the repository paths each import may resolve to.

Parsing gives raw imports (level, module, imported names) that depend only on the file text;
resolution turns them into ordered candidate path lists that depend only on the importer's path,
so a caller can re-resolve when the set of files changes without re-parsing.

Module roots, in order: the importer's own `src/` root (for `x/src/pkg/a.py` that is `x/src`),
the repository root, `src/`, `<ancestor>/src` for each ancestor of the importer, and finally the
importer's own directory (scripts and tests run with their directory on `sys.path`).

Python runs every parent package before a module: `import a.b.c` executes `a/__init__.py` and
`a/b/__init__.py`, then `a/b/c.py`. Each candidate therefore carries the root it was found under,
and `package_inits(root, hit)` lists the `__init__.py` files between that root and the module
(for a relative import the root is the package the import is relative to, which already ran).
"""

from __future__ import annotations

import ast
import posixpath
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

from graph.ids import Finding


@dataclass(frozen=True)
class PyImport:
    """`import a.b` → (0, "a.b", ()); `from ..x import y, z` → (2, "x", ("y", "z"))."""

    level: int
    module: str
    names: tuple[str, ...]
    line: int


def is_python(path: str) -> bool:
    return path.endswith((".py", ".pyi"))


def is_python_test(path: str) -> bool:
    base = posixpath.basename(path)
    # conftest.py is test support: it counts as test code, not as code that needs tests.
    return is_python(path) and (
        base.startswith("test_")
        or base.endswith(("_test.py", "_tests.py"))
        or base == "conftest.py"
    )


def _split_root(path: str) -> tuple[str, list[str]]:
    """(source root, parts below it): the root is the path up to the last `src` directory,
    or the repository root ("") when there is none."""
    parts = path.split("/")
    if "src" in parts[:-1]:
        last_src = len(parts) - 1 - parts[:-1][::-1].index("src") - 1
        return "/".join(parts[: last_src + 1]), parts[last_src + 1 :]
    return "", parts


def module_root(path: str) -> str:
    """The source root a Python file's module name is relative to: `x/src/pkg/a.py` → `x/src`,
    `pkg/a.py` → "" (the repository root)."""
    return _split_root(path)[0]


def module_name(path: str) -> str:
    """Dotted module name of a Python file: `src/pkg/a.py` → `pkg.a`, `pkg/__init__.py` → `pkg`."""
    _, parts = _split_root(path)
    stem = parts[-1].rsplit(".", 1)[0]
    parts = [*parts[:-1], stem]
    if stem == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def parse_imports(path: str, text: str) -> tuple[list[PyImport], list[Finding]]:
    """Raw imports of one file; a syntax error becomes a finding naming the line."""
    if text.startswith("\ufeff"):  # a UTF-8 byte order mark, allowed in Python source
        text = text[1:]
    try:
        with warnings.catch_warnings():  # invalid escapes etc. in code we only read
            warnings.simplefilter("ignore")
            tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        return [], [Finding(path=path, line=exc.lineno, code="python_syntax_error", detail=exc.msg)]
    except ValueError as exc:  # e.g. null bytes in the source
        return [], [Finding(path=path, line=None, code="python_unparsable", detail=str(exc))]
    imports: list[PyImport] = []
    for node in _statements(tree.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                imports.append(PyImport(0, alias.name, (), node.lineno))
        elif isinstance(node, ast.ImportFrom):
            names = tuple(a.name for a in node.names if a.name != "*")
            imports.append(PyImport(node.level, node.module or "", names, node.lineno))
    imports.sort(key=lambda i: i.line)  # stable: names on one line keep their order
    return imports, []


def is_trivial_init(path: str, text: str) -> bool:
    """An `__init__.py` that only marks a package: empty, or a docstring and `pass` at most.
    Such a file holds no code to test, own or serve."""
    if posixpath.basename(path) not in ("__init__.py", "__init__.pyi"):
        return False
    if not text.strip():
        return True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            body = ast.parse(text.removeprefix("\ufeff"), filename=path).body
    except (SyntaxError, ValueError):
        return False
    return all(
        isinstance(node, ast.Pass)
        or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
        for node in body
    )


_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


def _statements(body: Sequence[ast.AST]) -> list[ast.AST]:
    """Every statement, nested ones included; imports are statements, so expressions are skipped
    (several times faster than `ast.walk` on large modules)."""
    out: list[ast.AST] = []
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        out.append(node)
        for name in _BLOCKS:
            child = getattr(node, name, None)
            if child:
                stack.extend(reversed(child))
    return out


def _roots(path: str) -> list[str]:
    directory = posixpath.dirname(path)
    parts = directory.split("/") if directory else []
    roots: list[str] = []
    if "src" in parts:
        idx = len(parts) - 1 - parts[::-1].index("src")
        roots.append("/".join(parts[: idx + 1]))
    roots += ["", "src"]
    for i in range(len(parts), 0, -1):
        roots.append("/".join([*parts[:i], "src"]))
    roots.append(directory)
    return list(dict.fromkeys(roots))


def _module_paths(root: str, dotted: str) -> list[tuple[str, str]]:
    rel = dotted.replace(".", "/")
    base = f"{root}/{rel}" if root else rel
    return [
        (base + ".py", root),
        (base + "/__init__.py", root),
        (base + ".pyi", root),
        (base + "/__init__.pyi", root),
    ]


def _package_of(path: str) -> list[str]:
    """The directory parts of the importer's package (for relative imports)."""
    directory = posixpath.dirname(path)
    return directory.split("/") if directory else []


def _relative_paths(base: str) -> list[str]:
    return [base + ".py", base + "/__init__.py", base + ".pyi"]


Candidate = tuple[str, str]  # (path, the root its dotted name is relative to)


def candidate_groups(path: str, imp: PyImport) -> list[list[Candidate]]:
    """For each imported target, the ordered (path, root) pairs it may resolve to (first
    existing wins); the root gives the parent packages Python runs first (`package_inits`)."""
    if imp.level > 0:
        pkg = _package_of(path)
        up = imp.level - 1
        if up > len(pkg):
            return []
        base_parts = pkg[: len(pkg) - up]
        mod_parts = imp.module.split(".") if imp.module else []
        root = "/".join(base_parts)
        base = "/".join(base_parts + mod_parts)
        module_cands: list[Candidate] = []
        if mod_parts:
            module_cands = [(p, root) for p in _relative_paths(base)]
        else:
            module_cands = [(f"{base}/__init__.py" if base else "__init__.py", root)]
        if not imp.names:
            return [module_cands]
        out = []
        for name in imp.names:
            sub = f"{base}/{name}" if base else name
            out.append([*((p, root) for p in _relative_paths(sub)), *module_cands])
        return out
    roots = _roots(path)
    if imp.names:
        groups = []
        for name in imp.names:
            cands = [p for r in roots for p in _module_paths(r, f"{imp.module}.{name}")]
            cands += [p for r in roots for p in _module_paths(r, imp.module)]
            groups.append(cands)
        return groups
    # `import a.b.c` binds a, runs a.b.c: prefer the deepest module that exists.
    parts = imp.module.split(".")
    cands = []
    for depth in range(len(parts), 0, -1):
        dotted = ".".join(parts[:depth])
        cands += [p for r in roots for p in _module_paths(r, dotted)]
    return [cands]


def candidates(path: str, imp: PyImport) -> list[list[str]]:
    """For each imported target, the ordered paths it may resolve to (first existing wins)."""
    return [[p for p, _ in group] for group in candidate_groups(path, imp)]


def package_inits(root: str, hit: str) -> list[str]:
    """`__init__.py` of every package strictly between `root` and the module at `hit`, outermost
    first: Python runs them before the module (`src`, `src/a/b/c.py` → `src/a/__init__.py`,
    `src/a/b/__init__.py`; a package's own `__init__.py` is the module itself)."""
    rel = hit[len(root) + 1 :] if root else hit
    parts = rel.split("/")
    if parts[-1] in ("__init__.py", "__init__.pyi"):
        parts = parts[:-1]
    dirs = parts[:-1]
    prefix = f"{root}/" if root else ""
    return [prefix + "/".join(dirs[: i + 1]) + "/__init__.py" for i in range(len(dirs))]
