"""JavaScript/TypeScript imports: import/export-from/require/dynamic import, and tsconfig paths.

Parsing gives the module specifiers of a file (text only); resolution turns a specifier into
ordered candidate paths using the nearest `tsconfig.json` (its `baseUrl` and `paths`, following
relative `extends`), the way TypeScript's `moduleResolution: node` looks files up.
Bare specifiers that match no alias (`react`) are packages and produce no edge.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from graph.ids import Finding

SOURCE_EXTS = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")
_RESOLVE_EXTS = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
_JS_TO_TS = {".js": (".ts", ".tsx"), ".jsx": (".tsx",), ".mjs": (".mts",), ".cjs": (".cts",)}

# Strings are matched first so that `//` inside a string is not taken for a comment.
_TOKENS = re.compile(
    r"(\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`)|(//[^\n]*|/\*.*?\*/)", re.S
)
_FROM = re.compile(r"\bfrom\s*[\"']([^\"'\n]+)[\"']")
_BARE_IMPORT = re.compile(r"(?<![.\w$])import\s*[\"']([^\"'\n]+)[\"']")
_CALL = re.compile(r"(?<![.\w$])(?:require|import)\s*\(\s*[\"']([^\"'\n]+)[\"']\s*\)")
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def is_js(path: str) -> bool:
    return path.endswith(SOURCE_EXTS) and not path.endswith(".d.ts")


def is_js_test(path: str) -> bool:
    base = posixpath.basename(path)
    stem = base.split(".")
    return is_js(path) and (
        "test" in stem[1:-1] or "spec" in stem[1:-1] or "/__tests__/" in f"/{path}"
    )


def is_tsconfig(path: str) -> bool:
    """tsconfig.json and the files it may extend (tsconfig.base.json, tsconfig.app.json …)."""
    base = posixpath.basename(path)
    return base.startswith("tsconfig") and base.endswith(".json")


def _strip_comments(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            return m.group(1)
        return "\n" * m.group(2).count("\n")

    return _TOKENS.sub(repl, text)


def parse_imports(text: str) -> list[str]:
    """Module specifiers in order of first appearance, deduplicated."""
    code = _strip_comments(text)
    found: list[tuple[int, str]] = []
    for regex in (_FROM, _BARE_IMPORT, _CALL):
        found += [(m.start(), m.group(1)) for m in regex.finditer(code)]
    found.sort()
    return list(dict.fromkeys(spec for _, spec in found))


@dataclass(frozen=True)
class TsConfig:
    """The module-resolution part of one tsconfig.json, with paths made repository-relative."""

    path: str
    base_url: str | None = None
    paths_base: str = ""
    paths: tuple[tuple[str, tuple[str, ...]], ...] = ()
    extends: str | None = None
    findings: tuple[Finding, ...] = field(default=(), compare=False)


def parse_tsconfig(path: str, text: str) -> TsConfig:
    """Read baseUrl/paths/extends from a tsconfig (JSON with comments and trailing commas)."""
    here = posixpath.dirname(path)
    try:
        data = json.loads(_TRAILING_COMMA.sub(r"\1", _strip_comments(text)))
    except json.JSONDecodeError as exc:
        return TsConfig(
            path,
            findings=(
                Finding(path=path, line=exc.lineno, code="tsconfig_invalid_json", detail=exc.msg),
            ),
        )
    if not isinstance(data, dict):
        return TsConfig(path, findings=(Finding(path=path, line=1, code="tsconfig_not_an_object"),))
    opts = data.get("compilerOptions") or {}
    opts = opts if isinstance(opts, dict) else {}
    base_url = opts.get("baseUrl")
    base = posixpath.normpath(posixpath.join(here, base_url)) if isinstance(base_url, str) else None
    if base == ".":
        base = ""
    raw = opts.get("paths")
    raw_paths: dict[Any, Any] = raw if isinstance(raw, dict) else {}
    paths = tuple(
        (str(k), tuple(str(t) for t in v if isinstance(t, str)))
        for k, v in raw_paths.items()
        if isinstance(v, list)
    )
    extends = data.get("extends")
    ext: str | None = None
    if isinstance(extends, list):
        extends = extends[0] if extends else None
    if isinstance(extends, str) and extends.startswith("."):
        ext = posixpath.normpath(posixpath.join(here, extends))
        if not ext.endswith(".json"):
            ext += ".json"
    return TsConfig(path, base, base if base is not None else here, paths, ext)


def effective(config: TsConfig, configs: dict[str, TsConfig]) -> TsConfig:
    """Merge `extends` chains: the child's baseUrl/paths override the parent's."""
    chain = [config]
    seen = {config.path}
    while chain[-1].extends and chain[-1].extends in configs and chain[-1].extends not in seen:
        seen.add(chain[-1].extends)
        chain.append(configs[chain[-1].extends])
    base_url: str | None = None
    paths: tuple[tuple[str, tuple[str, ...]], ...] = ()
    paths_base = posixpath.dirname(config.path)
    for cfg in reversed(chain):
        if cfg.base_url is not None:
            base_url = cfg.base_url
        if cfg.paths:
            paths = cfg.paths
            paths_base = cfg.paths_base
    if base_url is not None:
        paths_base = base_url
    return TsConfig(config.path, base_url, paths_base, paths)


def tsconfig_candidates(path: str) -> list[str]:
    """tsconfig.json locations that could apply to `path`, nearest first."""
    directory = posixpath.dirname(path)
    out = []
    while True:
        out.append(posixpath.join(directory, "tsconfig.json") if directory else "tsconfig.json")
        if not directory:
            return out
        directory = posixpath.dirname(directory)


def _expand(base: str) -> list[str]:
    if base.startswith("../") or base == "..":
        return []
    root, ext = posixpath.splitext(base)
    out = [base]
    if ext in _JS_TO_TS:
        out += [root + e for e in _JS_TO_TS[ext]]
    out += [base + e for e in _RESOLVE_EXTS]
    out += [f"{base}/index{e}" for e in _RESOLVE_EXTS]
    return out


def _join(directory: str, rel: str) -> str:
    joined = posixpath.normpath(posixpath.join(directory, rel))
    return "" if joined == "." else joined


def candidates(path: str, spec: str, config: TsConfig | None) -> list[str]:
    """Ordered paths a specifier may resolve to (first existing wins); [] for packages."""
    if spec.startswith(("./", "../")) or spec in (".", ".."):
        return _expand(_join(posixpath.dirname(path), spec))
    if spec.startswith("/"):
        return _expand(spec.lstrip("/"))
    if config is None:
        return []
    out: list[str] = []
    for pattern, targets in config.paths:
        if "*" in pattern:
            head, _, tail = pattern.partition("*")
            if spec.startswith(head) and spec.endswith(tail) and len(spec) >= len(pattern) - 1:
                star = spec[len(head) : len(spec) - len(tail)]
                for t in targets:
                    out += _expand(_join(config.paths_base, t.replace("*", star)))
        elif pattern == spec:
            for t in targets:
                out += _expand(_join(config.paths_base, t))
    if config.base_url is not None:
        out += _expand(_join(config.base_url, spec))
    return out
