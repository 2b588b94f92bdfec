"""Ingest of the sample monorepo and of real code nobody here wrote (stdlib, networkx)."""

from __future__ import annotations

import datetime as dt
import os
import sysconfig
from pathlib import Path

import networkx
import pytest

from graph.coverage import coverage
from graph.ids import file_id, module_id, owner_id, service_id, target_id, test_id
from graph.ingest import CodeGraph, build_graph


def edges_of(cg, kind: str) -> set[tuple[str, str]]:
    return {(u, v) for u, v, d in cg.graph.edges(data=True) if d["kind"] == kind}


def test_python_src_layout_edges(monorepo_files: dict[str, str]) -> None:
    cg = build_graph(monorepo_files)
    imports = edges_of(cg, "imports")
    f = file_id
    assert (f("src/acme/billing/tax.py"), f("src/acme/common/money.py")) in imports  # from ..x
    assert (f("src/acme/billing/ledger.py"), f("src/acme/billing/tax.py")) in imports  # from .
    assert (f("src/acme/billing/ledger.py"), f("src/acme/common/log.py")) in imports  # import a.b.c
    # `from acme.common import Money` resolves to the package __init__, which imports money.
    assert (f("src/acme/billing/invoice.py"), f("src/acme/common/__init__.py")) in imports
    assert (f("src/acme/common/__init__.py"), f("src/acme/common/money.py")) in imports
    # `from acme.common import log` names a submodule.
    assert (f("src/acme/search/index.py"), f("src/acme/common/log.py")) in imports
    # Standard library and third-party imports make no edges.
    assert all(v.startswith("file:") for _, v in imports)
    assert (module_id("acme.billing.tax", "src"), f("src/acme/billing/tax.py")) in edges_of(
        cg, "defined_in"
    )


def test_python_parent_packages_run_before_the_module(monorepo_files: dict[str, str]) -> None:
    imports = edges_of(build_graph(monorepo_files), "imports")
    f = file_id
    ledger = f("src/acme/billing/ledger.py")  # import acme.common.log
    assert (ledger, f("src/acme/common/log.py")) in imports
    assert (ledger, f("src/acme/__init__.py")) in imports
    assert (ledger, f("src/acme/common/__init__.py")) in imports
    tax = f("src/acme/billing/tax.py")  # from ..common.money import Money
    assert (tax, f("src/acme/common/__init__.py")) in imports  # acme.common runs first
    assert (tax, f("src/acme/__init__.py")) not in imports  # the importer's own package
    # A test that imports a submodule is linked to the packages it runs, too.
    test = build_graph(monorepo_files).graph.edges
    assert test[test_id("tests/test_search.py"), f("src/acme/__init__.py")]["kind"] == "tests"


def test_parent_package_edges_follow_init_files_appearing_and_going() -> None:
    from graph.ingest import graph_signature, update

    files = {"src/a/b/c.py": "", "app.py": "import a.b.c\n"}
    cg = build_graph(files)  # a/ and a/b/ are namespace packages: nothing else runs
    assert set(cg.graph.successors(file_id("app.py"))) == {file_id("src/a/b/c.py")}
    update(cg, {"src/a/__init__.py": "", "src/a/b/__init__.py": "X = 1\n"})
    assert set(cg.graph.successors(file_id("app.py"))) == {
        file_id("src/a/b/c.py"),
        file_id("src/a/__init__.py"),
        file_id("src/a/b/__init__.py"),
    }
    full = {**files, "src/a/__init__.py": "", "src/a/b/__init__.py": "X = 1\n"}
    assert graph_signature(cg) == graph_signature(build_graph(full))
    update(cg, {"src/a/__init__.py": None})
    assert file_id("src/a/__init__.py") not in set(cg.graph.successors(file_id("app.py")))
    del full["src/a/__init__.py"]
    assert graph_signature(cg) == graph_signature(build_graph(full))


def test_module_ids_are_unique_per_source_root() -> None:
    cg = build_graph(
        {"one/src/pkg/x.py": "", "two/src/pkg/x.py": "", "src/pkg/x.py": "", "pkg/x.py": ""}
    )
    defined = {(u, v) for u, v, d in cg.graph.edges(data=True) if d["kind"] == "defined_in"}
    assert defined == {
        (module_id("pkg.x", "one/src"), file_id("one/src/pkg/x.py")),
        (module_id("pkg.x", "two/src"), file_id("two/src/pkg/x.py")),
        (module_id("pkg.x", "src"), file_id("src/pkg/x.py")),
        (module_id("pkg.x"), file_id("pkg/x.py")),
    }
    assert module_id("pkg.x", "one/src") == "module:one/src:pkg.x"
    assert module_id("pkg.x") == "module:pkg.x"


def test_typescript_paths_and_go_packages(monorepo_files: dict[str, str]) -> None:
    cg = build_graph(monorepo_files)
    imports = edges_of(cg, "imports")
    f = file_id
    assert (f("web/src/app.tsx"), f("web/src/components/index.ts")) in imports  # exact alias
    assert (f("web/src/app.tsx"), f("web/src/lib/money.ts")) in imports  # @lib/* alias
    assert (f("web/src/app.tsx"), f("web/src/lib/types.ts")) in imports  # baseUrl (extends)
    assert (f("web/src/components/index.ts"), f("web/src/components/Button.tsx")) in imports
    assert (f("web/src/components/Spinner.tsx"), f("web/src/components/spinner.module.css")) in (
        imports
    )
    assert not any("debug" in v for _, v in imports)  # commented-out import
    main = f("gateway/cmd/gateway/main.go")
    assert (main, f("gateway/internal/auth/auth.go")) in imports
    assert (main, f("gateway/internal/auth/token.go")) in imports
    assert (main, f("gateway/internal/ratelimit/limiter.go")) in imports
    assert (main, f("gateway/internal/auth/token_test.go")) not in imports
    assert module_id("example.com/acme/gateway/internal/auth") in cg.graph


def test_tests_link_by_import_and_naming(monorepo_files: dict[str, str]) -> None:
    cg = build_graph(monorepo_files)
    g = cg.graph

    def via(test: str, target: str) -> list[str]:
        return g.edges[test_id(test), file_id(target)]["via"]

    assert via("tests/test_invoice.py", "src/acme/billing/invoice.py") == ["import", "naming"]
    assert via("tests/test_log.py", "src/acme/common/log.py") == ["naming"]
    assert via("tests/billing/test_tax.py", "src/acme/billing/tax.py") == ["import", "naming"]
    assert via("web/src/lib/money.test.ts", "web/src/lib/money.ts") == ["import", "naming"]
    assert via("web/src/components/__tests__/Button.test.tsx", "web/src/components/Button.tsx")
    assert via("gateway/internal/auth/token_test.go", "gateway/internal/auth/token.go") == [
        "naming",
        "package",
    ]
    assert via("gateway/internal/auth/token_test.go", "gateway/internal/auth/auth.go") == [
        "package"
    ]
    assert g.nodes[file_id("tests/conftest.py")]["test"] is True


def test_owners_services_targets_incidents_share_ids(monorepo_files: dict[str, str]) -> None:
    cg = build_graph(monorepo_files)
    g = cg.graph
    tax = file_id("src/acme/billing/tax.py")
    assert set(g.successors(tax)) >= {owner_id("@acme/payments"), service_id("billing")}
    # CODEOWNERS: the last matching rule wins.
    assert [o for o in g.successors(file_id("README.md")) if o.startswith("owner:")] == [
        owner_id("@acme/docs")
    ]
    # @acme/payments is named by CODEOWNERS and by services.yml: one node, both edges.
    payments = owner_id("@acme/payments")
    assert (service_id("billing"), payments) in g.edges and (tax, payments) in g.edges
    ledger = file_id("src/acme/billing/ledger.py")
    assert g.edges[ledger, service_id("billing")]["critical"] is True
    assert g.edges[tax, service_id("billing")]["critical"] is False
    assert (target_id("nix", "billing-service"), tax) in g.edges
    assert (target_id("image", "billing"), file_id("docker/billing.Dockerfile")) in g.edges
    assert (target_id("image", "web"), file_id("web/src/app.tsx")) in g.edges  # context dir
    assert ("incident:INC-42", tax) in g.edges
    assert g.nodes["incident:INC-42"]["date"] == "2026-10-02"
    assert (target_id("image", "billing"), target_id("nix", "billing-service")) in g.edges
    # IDs of different kinds never collide even when names do.
    assert target_id("nix", "gateway") != service_id("gateway")
    assert {g.nodes[n]["kind"] for n in g} == {
        "file", "module", "test", "owner", "service", "target", "incident"
    }  # fmt: skip


def test_coverage_of_the_sample(monorepo_files: dict[str, str]) -> None:
    report = coverage(build_graph(monorepo_files))
    # 24 Python/TS/Go files that are not tests, less the two empty __init__.py package markers.
    assert report.code_files == 20
    assert "src/acme/billing/__init__.py" not in report.untested + report.unowned
    assert report.tested_share >= 0.95 and report.tested_share == 1.0
    assert report.owned_share == 1.0 and report.service_share == 1.0
    # ledger.py has no test of its own: tests/test_invoice.py reaches it through invoice.py.
    assert report.tested_directly == 16
    direct = coverage(build_graph(monorepo_files), depth=0)
    assert "src/acme/billing/ledger.py" in direct.untested
    assert "src/acme/billing/tax.py" not in direct.untested
    assert direct.tested == direct.tested_directly == 16


def test_tested_means_a_test_reaches_the_file_within_the_depth() -> None:
    files = {
        "pkg/__init__.py": '"""Package docstring only."""\n',
        "pkg/a.py": "from . import b\n",
        "pkg/b.py": "from . import c\n",
        "pkg/c.py": "from . import d\n",
        "pkg/d.py": "X = 1\n",
        "tests/test_a.py": "from pkg import a\n",
    }
    cg = build_graph(files)
    report = coverage(cg, depth=2)  # test_a → a (linked), b (1 hop), c (2 hops); d is 3 hops
    assert report.code_files == 4  # the docstring-only __init__.py holds no code
    assert report.untested == ["pkg/d.py"]
    assert coverage(cg, depth=3).untested == []
    # The depth is the blast radius's: with the default (3), a change to d requires test_a.
    from graph.blast import blast_radius

    blast = blast_radius(cg, ["pkg/d.py"], dt.date(2026, 1, 1))
    assert [t.path for t in blast.required_tests] == ["tests/test_a.py"]
    code = build_graph({**files, "pkg/__init__.py": "from .a import *\n"})
    assert coverage(code, depth=2).code_files == 5


def test_malformed_inputs_become_findings(monorepo_files: dict[str, str]) -> None:
    files = dict(monorepo_files)
    files["src/acme/broken.py"] = "def f(:\n"
    files[".github/maestro/services.yml"] = "services:\n  - name: x\n    paths: 3\n"
    files["web/tsconfig.json"] = "{ nope"
    cg = build_graph(files)
    assert [(f.path, f.line, f.code) for f in cg.findings] == [
        (".github/maestro/services.yml", 3, "services_invalid"),
        ("src/acme/broken.py", 1, "python_syntax_error"),
        ("web/tsconfig.json", 1, "tsconfig_invalid_json"),
    ]
    assert not any(n.startswith("service:") for n in cg.graph)


def read_python_tree(root: Path, package: str, skip: set[str] = frozenset()) -> dict[str, str]:
    files: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root / package):
        dirnames[:] = sorted(d for d in dirnames if d not in skip and d != "__pycache__")
        for name in filenames:
            if name.endswith(".py"):
                path = Path(dirpath) / name
                files[path.relative_to(root).as_posix()] = path.read_text("utf-8", "replace")
    return files


@pytest.fixture(scope="module")
def stdlib_graph() -> CodeGraph:
    """The whole standard library of the interpreter running the tests (~10 s, built once)."""
    root = Path(sysconfig.get_paths()["stdlib"])
    files: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in ("site-packages", "__pycache__"))
        for name in filenames:
            if name.endswith(".py"):
                path = Path(dirpath) / name
                files[path.relative_to(root).as_posix()] = path.read_text("utf-8", "replace")
    return build_graph(files)


def test_real_stdlib_edges(stdlib_graph: CodeGraph) -> None:
    cg = stdlib_graph
    assert len(cg.facts) > 1000
    imports = edges_of(cg, "imports")
    f = file_id
    assert (f("json/__init__.py"), f("json/decoder.py")) in imports  # from .decoder import …
    assert (f("json/decoder.py"), f("json/scanner.py")) in imports
    assert (f("json/decoder.py"), f("re/__init__.py")) in imports  # import re (a package)
    assert (f("email/message.py"), f("email/utils.py")) in imports  # from email import utils
    assert (f("http/client.py"), f("email/parser.py")) in imports  # import email.parser
    # … and Python runs the parent package email/__init__.py before email.parser.
    assert (f("http/client.py"), f("email/__init__.py")) in imports
    assert (f("http/client.py"), f("http/__init__.py")) in imports  # from http import HTTPStatus
    assert (f("logging/handlers.py"), f("socket.py")) in imports
    assert (f("urllib/request.py"), f("urllib/parse.py")) in imports
    assert (f("xml/dom/minidom.py"), f("xml/dom/__init__.py")) in imports  # import xml.dom
    assert (f("xml/dom/minidom.py"), f("xml/__init__.py")) in imports
    assert (f("asyncio/__init__.py"), f("asyncio/base_events.py")) in imports
    assert (f("importlib/metadata/__init__.py"), f("zipfile/__init__.py")) in imports or (
        f("importlib/metadata/__init__.py"),
        f("zipfile.py"),
    ) in imports  # zipfile became a package in 3.12
    assert (f("unittest/mock.py"), f("asyncio/__init__.py")) in imports
    assert (f("email/__init__.py"), f("email/parser.py")) in imports  # lazy import in a function
    # Only intentionally broken test data (Python 2 in lib2to3's tests, CPython's tokenizer
    # tests) fails to parse; lib2to3's bom.py gets past its byte order mark to the Python 2.
    assert cg.findings and all(
        finding.code == "python_syntax_error"
        and ("/tests/data/" in finding.path or finding.path.startswith("test/"))
        for finding in cg.findings
    )
    assert all("FEFF" not in finding.detail for finding in cg.findings)


def test_real_installed_package_networkx() -> None:
    root = Path(networkx.__file__).resolve().parents[1]
    files = read_python_tree(root, "networkx")
    cg = build_graph(files)
    imports = edges_of(cg, "imports")
    f = file_id
    assert (f("networkx/classes/digraph.py"), f("networkx/classes/graph.py")) in imports
    assert (f("networkx/__init__.py"), f("networkx/classes/__init__.py")) in imports
    assert (f("networkx/algorithms/dag.py"), f("networkx/utils/__init__.py")) in imports
    assert len(files) > 300 and len(imports) > len(files)
    # networkx/classes/tests/test_digraph.py: `import networkx as nx` plus the naming convention.
    test = cg.graph.edges[
        test_id("networkx/classes/tests/test_digraph.py"), f("networkx/classes/digraph.py")
    ]
    assert "naming" in test["via"]
    assert cg.findings == []
