"""Blast radius: cone, weights, risk factors, reasons and required tests on the sample monorepo."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.blast import blast_radius
from graph.config import RiskPolicy
from graph.ingest import CodeGraph, build_graph, update

TODAY = dt.date(2026, 11, 1)


@pytest.fixture(scope="module")
def cg(monorepo_files: dict[str, str]) -> CodeGraph:
    return build_graph(monorepo_files)


def test_cone_depths_weights_and_tests(cg: CodeGraph) -> None:
    blast = blast_radius(cg, ["src/acme/billing/tax.py"], TODAY)
    depths = {f.path: f.depth for f in blast.impacted}
    assert depths == {
        "src/acme/billing/tax.py": 0,
        "src/acme/billing/ledger.py": 1,
        "src/acme/billing/invoice.py": 1,
        "tests/billing/test_tax.py": 1,
        "src/acme/billing/api.py": 2,
        "tests/test_invoice.py": 2,
        "tests/billing/test_api.py": 3,
    }
    assert {f.path: f.weight for f in blast.impacted}["src/acme/billing/api.py"] == 0.25
    assert [t.path for t in blast.required_tests] == [
        "tests/billing/test_tax.py",
        "tests/test_invoice.py",
        "tests/billing/test_api.py",
    ]
    assert blast.required_tests[0].covers == ["src/acme/billing/tax.py"]


def test_factors_are_reported_with_weights_and_values(cg: CodeGraph) -> None:
    blast = blast_radius(cg, ["src/acme/billing/tax.py"], TODAY)
    factors = {f.name: f for f in blast.factors}
    assert set(factors) == {
        "cone_size", "critical_services", "slos", "untested", "incidents", "owners"
    }  # fmt: skip
    assert factors["critical_services"].value == 1.0  # billing is critical
    assert factors["slos"].actual == 2 and factors["slos"].value == pytest.approx(2 / 3, abs=1e-4)
    # tax, invoice, api are tested; ledger is not.
    assert factors["untested"].facts == ["src/acme/billing/ledger.py"]
    assert factors["untested"].value == 0.25
    # INC-42 on tax.py, 30 days before TODAY in a 90-day window.
    assert factors["incidents"].value == pytest.approx(1 - 30 / 90, abs=1e-4)
    assert blast.incidents[0].id == "INC-42" and blast.incidents[0].age_days == 30
    assert factors["owners"].facts == ["@acme/maintainers", "@acme/payments"]
    assert factors["owners"].value == 0.5
    weights = RiskPolicy().weights
    assert {n: f.weight for n, f in factors.items()} == weights
    expected = sum(f.weight * f.value for f in factors.values()) / sum(weights.values())
    assert blast.risk == pytest.approx(expected, abs=1e-3)
    assert blast.level == "medium"


def test_evaluation_date_is_an_input(cg: CodeGraph) -> None:
    later = blast_radius(cg, ["src/acme/billing/tax.py"], dt.date(2027, 6, 1))
    before = blast_radius(cg, ["src/acme/billing/tax.py"], dt.date(2026, 9, 1))
    assert later.incidents == [] and before.incidents == []
    now = blast_radius(cg, ["src/acme/billing/tax.py"], TODAY)
    assert later.risk < now.risk


def test_reasons_are_shortest_import_chains(cg: CodeGraph) -> None:
    blast = blast_radius(cg, ["src/acme/common/money.py"], TODAY)
    reasons = {s.name: s.reason.path for s in blast.services}
    assert reasons["common"] == ["src/acme/common/money.py"]
    assert reasons["billing"] == ["src/acme/common/money.py", "src/acme/billing/tax.py"]
    assert [r.path for r in blast.critical_files] == [
        ["src/acme/common/money.py", "src/acme/billing/tax.py", "src/acme/billing/ledger.py"]
    ]
    # search/index.py does `from acme.common import log`: Python runs acme/common/__init__.py
    # first, and that imports money.
    assert reasons["search"] == [
        "src/acme/common/money.py",
        "src/acme/common/__init__.py",
        "src/acme/search/index.py",
    ]

    log = blast_radius(cg, ["src/acme/common/log.py"], TODAY)
    by_name = {s.name: s for s in log.services}
    assert by_name["search"].reason.path == ["src/acme/common/log.py", "src/acme/search/index.py"]
    assert by_name["search"].depth == 1


def test_a_parent_package_reaches_every_module_imported_through_it(cg: CodeGraph) -> None:
    # Every `import acme.x.y` runs src/acme/__init__.py first.
    blast = blast_radius(cg, ["src/acme/__init__.py"], TODAY)
    depths = {f.path: f.depth for f in blast.impacted}
    assert depths["src/acme/billing/ledger.py"] == 1  # import acme.common.log
    assert depths["src/acme/search/index.py"] == 1  # from acme.common import log
    assert depths["tests/test_invoice.py"] == 1  # from acme.billing.invoice import …
    assert "src/acme/billing/tax.py" not in depths  # only relative imports: acme already ran
    assert {s.name for s in blast.services} >= {"billing", "search", "common"}


def test_depth_limits_the_cone(cg: CodeGraph) -> None:
    shallow = blast_radius(cg, ["src/acme/common/money.py"], TODAY, RiskPolicy(depth=1))
    assert max(f.depth for f in shallow.impacted) == 1
    assert "src/acme/billing/ledger.py" not in {f.path for f in shallow.impacted}
    none = blast_radius(cg, ["src/acme/common/money.py"], TODAY, RiskPolicy(depth=0))
    assert [f.path for f in none.impacted] == ["src/acme/common/money.py"]


def test_deleted_file_seeds_its_importers_from_the_base_graph(
    monorepo_files: dict[str, str],
) -> None:
    base = build_graph(monorepo_files)
    head = update(base.copy(), {"web/src/lib/types.ts": None})
    blast = blast_radius(head, ["web/src/lib/types.ts"], TODAY, base=base)
    assert {f.path: f.depth for f in blast.impacted} == {
        "web/src/app.tsx": 1,
        "web/src/app.test.tsx": 2,
        "web/src/index.ts": 2,
        "web/src/index.test.ts": 3,
    }
    assert blast.services[0].reason.path == ["web/src/lib/types.ts", "web/src/app.tsx"]
    assert blast_radius(head, ["web/src/lib/types.ts"], TODAY).impacted == []


def test_unknown_and_non_code_paths(cg: CodeGraph) -> None:
    blast = blast_radius(cg, ["does/not/exist.py", "README.md"], TODAY)
    assert [f.path for f in blast.impacted] == ["README.md"]
    assert blast.services == [] and 0.0 <= blast.risk <= 1.0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), min_size=1, max_size=5),
    st.dictionaries(
        st.sampled_from(
            ["cone_size", "critical_services", "slos", "untested", "incidents", "owners"]
        ),
        st.floats(min_value=0.01, max_value=10),
        min_size=1,
    ),
    st.integers(min_value=0, max_value=4),
)
def test_risk_is_a_weighted_mean_in_unit_interval(
    cg: CodeGraph, picks: list[str], weights: dict[str, float], depth: int
) -> None:
    paths = {
        "a": "src/acme/billing/tax.py",
        "b": "src/acme/common/log.py",
        "c": "web/src/lib/money.ts",
        "d": "gateway/internal/auth/token.go",
        "e": "README.md",
    }
    policy = RiskPolicy(depth=depth, weights=weights)
    changed = [paths[p] for p in picks]
    blast = blast_radius(cg, changed, TODAY, policy)
    assert 0.0 <= blast.risk <= 1.0
    total = sum(weights.values())
    mean = sum(weights.get(f.name, 0) * f.value for f in blast.factors) / total
    assert blast.risk == pytest.approx(mean, abs=1e-3)
    assert blast == blast_radius(cg, list(reversed(changed)), TODAY, policy)  # order-free


def test_an_incident_that_names_only_services_counts_when_they_are_impacted(
    monorepo_files: dict[str, str],
) -> None:
    services = monorepo_files[".github/maestro/services.yml"].replace(
        "incidents:\n",
        "incidents:\n  - {id: INC-50, date: 2026-10-17, severity: sev2, services: [search]}\n",
    )
    cg = build_graph({**monorepo_files, ".github/maestro/services.yml": services})
    blast = blast_radius(cg, ["src/acme/common/log.py"], TODAY)  # search/index.py: 1 hop
    [hit] = blast.incidents
    assert (hit.id, hit.paths, hit.services, hit.age_days) == ("INC-50", [], ["search"], 15)
    incidents = next(f for f in blast.factors if f.name == "incidents")
    # recency (1 − 15/90) × the weight of search's nearest cone file (one hop: 0.5).
    assert incidents.value == pytest.approx((1 - 15 / 90) * 0.5, abs=1e-4)
    # A change that does not reach search leaves it out.
    assert blast_radius(cg, ["src/acme/billing/tax.py"], TODAY).incidents[0].id == "INC-42"
