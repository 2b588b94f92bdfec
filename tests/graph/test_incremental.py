"""Incremental update equals a full rebuild, over random edit sequences (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.ingest import CodeGraph, build_graph, graph_signature, update

PY = [
    "",
    "import pkg.a\n",
    "from pkg import b\n",
    "from . import a\n",
    "from .sub import c\n",
    "from ..a import helper\n",
    "import a\nfrom pkg.sub import c as cc\n",
    "import pkg.sub.c\n",
    "def broken(:\n",
]
TS = [
    "",
    'import { x } from "./x";\n',
    'import y from "./y";\nexport * from "@lib";\n',
    'const l = require("./lib");\n',
    'import { a } from "@app/x";\n',
]
TSCONFIG = [
    '{"compilerOptions": {"baseUrl": ".", "paths": {"@lib": ["src/lib/index.ts"]}}}',
    '{"compilerOptions": {"paths": {"@app/*": ["src/*"]}}}',
    '{"extends": "./tsconfig.base.json"}',
    "{ broken",
]
TSBASE = ['{"compilerOptions": {"baseUrl": "src"}}', '{"compilerOptions": {}}']
GO = [
    "package svc\n",
    'package svc\nimport "ex.com/m/svc"\n',
    'package main\nimport (\n  "fmt"\n  "ex.com/m/svc"\n)\n',
    'package main\nimport "ex.com/other/svc"\n',
]
GOMOD = ["module ex.com/m\n", "module ex.com/other\n", "go 1.22\n"]
OWNERS = [
    "* @org/all\n/src/ @org/py\n",
    "*.ts @org/web\n/src/pkg/sub/ @org/sub\n",
    "* @org/all\n/web/ bad owner\n",
]
SERVICES = [
    "services:\n  - name: py\n    paths: [src/**]\n    owners: ['@org/py']\n"
    "    targets: [{kind: nix, name: py, sources: [src/**]}]\n"
    "incidents:\n  - {id: INC-1, date: 2026-01-01, paths: [src/pkg/a.py]}\n",
    "services:\n  - name: web\n    paths: [web/**]\n    critical_paths: [web/src/x.ts]\n",
    "services: [oops\n",
]

POOL: dict[str, list[str]] = {
    "a.py": PY,
    "pkg/a.py": PY,
    "src/pkg/__init__.py": PY,
    "src/pkg/a.py": PY,
    "src/pkg/b.py": PY,
    "src/pkg/sub/__init__.py": PY,
    "src/pkg/sub/c.py": PY,
    "tests/test_a.py": PY,
    "tests/test_c.py": PY,
    "web/src/x.ts": TS,
    "web/src/y.ts": TS,
    "web/src/y.test.ts": TS,
    "web/src/lib/index.ts": TS,
    "web/tsconfig.json": TSCONFIG,
    "web/tsconfig.base.json": TSBASE,
    "tsconfig.json": TSCONFIG,
    "go.mod": GOMOD,
    "svc/a.go": GO,
    "svc/b.go": GO,
    "svc/a_test.go": GO,
    "cmd/main.go": GO,
    ".github/CODEOWNERS": OWNERS,
    "CODEOWNERS": OWNERS,
    ".github/maestro/services.yml": SERVICES,
    "README.md": ["# readme\n"],
}
PATHS = sorted(POOL)


@st.composite
def change_sets(draw: st.DrawFn) -> dict[str, str | None]:
    paths = draw(st.lists(st.sampled_from(PATHS), min_size=1, max_size=6, unique=True))
    return {p: draw(st.one_of(st.none(), st.sampled_from(POOL[p]))) for p in paths}


def assert_same(cg: CodeGraph, snapshot: dict[str, str]) -> None:
    full = build_graph(snapshot)
    assert graph_signature(cg) == graph_signature(full)
    assert cg.findings == full.findings


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(change_sets(), min_size=1, max_size=6))
def test_update_equals_full_rebuild(steps: list[dict[str, str | None]]) -> None:
    snapshot: dict[str, str] = {}
    cg = build_graph({})
    for change in steps:
        update(cg, change)
        for path, text in change.items():
            if text is None:
                snapshot.pop(path, None)
            else:
                snapshot[path] = text
        assert_same(cg, snapshot)


def test_adding_a_shadowing_module_moves_the_edge() -> None:
    files = {"src/pkg/__init__.py": "", "src/pkg/a.py": "", "tests/test_x.py": "import pkg.a\n"}
    cg = build_graph(files)
    assert ("file:tests/test_x.py", "file:src/pkg/a.py") in cg.graph.edges
    # A root-level pkg/a.py comes first on the module search path.
    update(cg, {"pkg/a.py": ""})
    assert ("file:tests/test_x.py", "file:pkg/a.py") in cg.graph.edges
    assert ("file:tests/test_x.py", "file:src/pkg/a.py") not in cg.graph.edges
    update(cg, {"pkg/a.py": None})
    assert ("file:tests/test_x.py", "file:src/pkg/a.py") in cg.graph.edges
    assert "file:pkg/a.py" not in cg.graph


def test_update_reparses_only_changed_files(monkeypatch) -> None:
    files = {f"src/m{i}.py": f"import m{i + 1}\n" for i in range(50)}
    cg = build_graph(files)
    import graph.ingest as ingest

    parsed: list[str] = []
    real = ingest.parse_file
    monkeypatch.setattr(ingest, "parse_file", lambda p, t: parsed.append(p) or real(p, t))
    update(cg, {"src/m3.py": "import m1\n", "src/m50.py": ""})
    assert sorted(parsed) == ["src/m3.py", "src/m50.py"]
    assert ("file:src/m49.py", "file:src/m50.py") in cg.graph.edges  # new file picked up
    assert_same(cg, {**files, "src/m3.py": "import m1\n", "src/m50.py": ""})
