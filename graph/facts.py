"""Per-file facts: everything the graph needs from one file's text, parsed once.

Facts depend only on (path, text). Everything that depends on other files (which path an import
resolves to, which CODEOWNERS rule applies) is derived later in `graph.derive`, so an
incremental update re-parses only the files whose text changed.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from graph import codeowners, lang_go, lang_js, lang_python
from graph.config import SERVICES_PATH, ServicesConfig, parse_services
from graph.ids import Finding

PYTHON = "python"
JS = "js"
GO = "go"
OTHER = "other"


def language(path: str) -> str:
    if lang_python.is_python(path):
        return PYTHON
    if lang_js.is_js(path):
        return JS
    if lang_go.is_go(path):
        return GO
    return OTHER


def is_test(path: str) -> bool:
    lang = language(path)
    if lang == PYTHON:
        return lang_python.is_python_test(path)
    if lang == JS:
        return lang_js.is_js_test(path)
    if lang == GO:
        return lang_go.is_go_test(path)
    return False


def is_config(path: str) -> bool:
    """Files whose content changes how *other* files are linked."""
    return (
        path == SERVICES_PATH
        or path in codeowners.LOCATIONS
        or lang_js.is_tsconfig(path)
        or lang_go.is_go_mod(path)
    )


def reads_text(path: str) -> bool:
    """Whether the graph reads this file's text (code and the config files); any other file is
    a node whose text does not matter, so callers need not fetch it."""
    return language(path) != OTHER or is_config(path)


@dataclass(frozen=True)
class FileFacts:
    path: str
    lang: str
    test: bool
    py_imports: tuple[lang_python.PyImport, ...] = ()
    specs: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    codeowners: codeowners.CodeOwners | None = field(default=None, compare=False)
    services: ServicesConfig | None = None
    tsconfig: lang_js.TsConfig | None = None
    go_module: str | None = None
    trivial: bool = False  # an __init__.py that only marks a package (no code)


def parse_file(path: str, text: str) -> FileFacts:
    """Parse one file; malformed content yields findings, never an exception."""
    lang = language(path)
    test = is_test(path)
    if lang == PYTHON:
        imports, findings = lang_python.parse_imports(path, text)
        return FileFacts(
            path,
            lang,
            test,
            py_imports=tuple(imports),
            findings=tuple(findings),
            trivial=lang_python.is_trivial_init(path, text),
        )
    if lang == JS:
        return FileFacts(path, lang, test, specs=tuple(lang_js.parse_imports(text)))
    if lang == GO:
        return FileFacts(path, lang, test, specs=tuple(lang_go.parse_imports(text)))
    if path == SERVICES_PATH:
        cfg, findings = parse_services(text, path)
        return FileFacts(path, lang, test, services=cfg, findings=tuple(findings))
    if path in codeowners.LOCATIONS:
        owners = codeowners.parse(path, text)
        return FileFacts(path, lang, test, codeowners=owners, findings=owners.findings)
    if lang_js.is_tsconfig(path):
        ts = lang_js.parse_tsconfig(path, text)
        return FileFacts(path, lang, test, tsconfig=ts, findings=ts.findings)
    if lang_go.is_go_mod(path):
        module, findings = lang_go.parse_go_mod(path, text)
        return FileFacts(path, lang, test, go_module=module, findings=tuple(findings))
    return FileFacts(path, lang, test)


def dirname(path: str) -> str:
    return posixpath.dirname(path)
