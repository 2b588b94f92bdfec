"""Import parsers and resolvers for Python, JavaScript/TypeScript and Go."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph import lang_go, lang_js, lang_python
from graph.lang_python import PyImport


@pytest.mark.parametrize(
    ("path", "module"),
    [
        ("src/acme/billing/tax.py", "acme.billing.tax"),
        ("src/acme/__init__.py", "acme"),
        ("services/x/src/pkg/a.py", "pkg.a"),
        ("json/decoder.py", "json.decoder"),
        ("tools/run.py", "tools.run"),
    ],
)
def test_module_names(path: str, module: str) -> None:
    assert lang_python.module_name(path) == module


def test_python_imports_include_nested_and_relative() -> None:
    text = (
        "import os, a.b as ab\n"
        "from . import x\n"
        "from ..pkg.mod import (y, z)\n"
        "def f():\n"
        "    try:\n"
        "        import lazy\n"
        "    except ImportError:\n"
        "        from fallback import *\n"
    )
    imports, findings = lang_python.parse_imports("p/q/m.py", text)
    assert findings == []
    assert [(i.level, i.module, i.names) for i in imports] == [
        (0, "os", ()),
        (0, "a.b", ()),
        (1, "", ("x",)),
        (2, "pkg.mod", ("y", "z")),
        (0, "lazy", ()),
        (0, "fallback", ()),
    ]


def test_python_relative_candidates() -> None:
    [group] = lang_python.candidates("src/acme/billing/tax.py", PyImport(2, "common.money", (), 1))
    assert group[0] == "src/acme/common/money.py"
    [first] = lang_python.candidates("src/acme/billing/ledger.py", PyImport(1, "", ("tax",), 1))
    assert first[:2] == ["src/acme/billing/tax.py", "src/acme/billing/tax/__init__.py"]
    assert first[-1] == "src/acme/billing/__init__.py"  # `tax` may be a name in the package
    assert lang_python.candidates("a.py", PyImport(3, "x", (), 1)) == []  # beyond the top


def test_python_absolute_candidates_try_src_layouts_and_parents() -> None:
    [group] = lang_python.candidates("tests/test_a.py", PyImport(0, "pkg.a.b", (), 1))
    assert group.index("pkg/a/b.py") < group.index("src/pkg/a/b.py") < group.index("pkg/a.py")
    assert "tests/pkg/a/b.py" in group  # the importer's directory is on sys.path last


def test_python_syntax_error_is_a_finding_with_line() -> None:
    imports, findings = lang_python.parse_imports("bad.py", "import os\n\ndef f(:\n")
    assert imports == []
    assert [(f.path, f.line, f.code) for f in findings] == [("bad.py", 3, "python_syntax_error")]


@given(st.text(max_size=200))
def test_python_parser_never_raises(text: str) -> None:
    imports, findings = lang_python.parse_imports("x.py", text)
    assert not (imports and findings)


def test_js_specifiers_skip_comments_and_keep_strings() -> None:
    text = """
    // import nope from "commented";
    /* require("also-commented") */
    import React, { useState } from "react";
    import type { T } from '@lib/types';
    import "./side-effect.css";
    export * from "./reexport";
    export { a } from "./named";
    const url = "http://example.com"; const m = require('./cjs');
    const lazy = await import("./lazy");
    """
    assert lang_js.parse_imports(text) == [
        "react",
        "@lib/types",
        "./side-effect.css",
        "./reexport",
        "./named",
        "./cjs",
        "./lazy",
    ]


def test_tsconfig_paths_extends_and_base_url() -> None:
    base = lang_js.parse_tsconfig("web/tsconfig.base.json", '{"compilerOptions": {"baseUrl": "."}}')
    child = lang_js.parse_tsconfig(
        "web/tsconfig.json",
        '{\n  // comment\n  "extends": "./tsconfig.base.json",\n'
        '  "compilerOptions": {"paths": {"@lib/*": ["src/lib/*"],},},\n}',
    )
    cfg = lang_js.effective(child, {base.path: base, child.path: child})
    assert cfg.base_url == "web"
    assert lang_js.candidates("web/src/a.ts", "@lib/money", cfg)[:2] == [
        "web/src/lib/money",
        "web/src/lib/money.ts",
    ]
    assert "web/src/x.ts" in lang_js.candidates("web/src/a.ts", "src/x", cfg)
    assert lang_js.candidates("web/src/a.ts", "react", None) == []
    # ESM-style "./x.js" in TypeScript resolves to x.ts.
    assert lang_js.candidates("web/a.ts", "./x.js", None)[:2] == ["web/x.js", "web/x.ts"]


def test_invalid_tsconfig_is_a_finding_with_line() -> None:
    cfg = lang_js.parse_tsconfig("tsconfig.json", '{\n  "compilerOptions": {\n    "paths": oops\n}')
    assert [(f.line, f.code) for f in cfg.findings] == [(3, "tsconfig_invalid_json")]


@pytest.mark.parametrize(
    ("path", "is_test"),
    [
        ("web/src/a.test.ts", True),
        ("web/src/a.spec.tsx", True),
        ("web/src/__tests__/a.tsx", True),
        ("web/src/latest.ts", False),
        ("web/src/a.d.ts", False),
    ],
)
def test_js_test_files(path: str, is_test: bool) -> None:
    assert lang_js.is_js_test(path) is is_test


@given(st.text(max_size=300))
def test_js_parser_never_raises(text: str) -> None:
    lang_js.parse_imports(text)
    lang_js.parse_tsconfig("tsconfig.json", text)


def test_go_imports_and_module() -> None:
    text = """package main

import "fmt"
import alias "example.com/m/single"

import (
    "net/http" // comment
    _ "example.com/m/db/driver"
    rl "example.com/m/internal/ratelimit"
    /* "example.com/m/commented" */
)
"""
    assert lang_go.parse_imports(text) == [
        "fmt",
        "example.com/m/single",
        "net/http",
        "example.com/m/db/driver",
        "example.com/m/internal/ratelimit",
    ]
    module, findings = lang_go.parse_go_mod("svc/go.mod", "module example.com/m\n\ngo 1.22\n")
    assert (module, findings) == ("example.com/m", [])
    modules = {"example.com/m": "svc", "example.com/m/tools": "svc/tools"}
    assert lang_go.package_dir("example.com/m/internal/ratelimit", modules) == (
        "svc/internal/ratelimit"
    )
    assert lang_go.package_dir("example.com/m/tools/gen", modules) == "svc/tools/gen"
    assert lang_go.package_dir("golang.org/x/time/rate", modules) is None


def test_go_mod_without_module_is_a_finding() -> None:
    module, findings = lang_go.parse_go_mod("go.mod", "go 1.22\n")
    assert module is None and [f.code for f in findings] == ["go_mod_without_module"]


@given(st.text(max_size=300))
def test_go_parser_never_raises(text: str) -> None:
    lang_go.parse_imports(text)
    lang_go.parse_go_mod("go.mod", text)
