"""Decision Card rendering, the riskCap obligation, affected targets and the Actions matrix."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jinja2
import pytest

from checks.proofcard import ObligationStatus
from graph.affected import affected_targets, choose_platform
from graph.blast import blast_radius
from graph.config import ArchCost, PlatformPolicy, Target
from graph.decision import decision_card, render_markdown, risk_cap_result
from graph.ingest import CodeGraph, build_graph

TODAY = dt.date(2026, 11, 1)
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.fixture(scope="module")
def cg(monorepo_files: dict[str, str]) -> CodeGraph:
    return build_graph(monorepo_files)


@pytest.fixture(scope="module")
def env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=False)


def test_card_lists_factors_services_tests_and_reasons(
    cg: CodeGraph, env: jinja2.Environment
) -> None:
    card = decision_card(blast_radius(cg, ["src/acme/common/log.py"], TODAY), top=2)
    assert [f.contribution for f in card.factors] == sorted(
        (f.contribution for f in card.factors), reverse=True
    )
    assert [s.name for s in card.services][:2] == ["billing", "common"]  # most critical first
    md = render_markdown(card, env)
    assert md.startswith(f"### Decision Card: risk {card.risk:.2f} ({card.level})")
    assert "| Critical services | 0.25 | 1.00 |" in md
    assert "**billing** (critical; @acme/payments; SLO availability 99.95%" in md
    assert "`src/acme/common/log.py` ← imported by `src/acme/search/index.py`" in md
    # 3 services with top=2: one folded; 4 required tests: two folded.
    assert "<details><summary>1 more service</summary>" in md
    assert "<details><summary>2 more tests</summary>" in md
    assert md.count("<details>") == md.count("</details>")


def test_card_without_services_renders_only_the_table(
    cg: CodeGraph, env: jinja2.Environment
) -> None:
    md = render_markdown(decision_card(blast_radius(cg, ["nowhere.txt"], TODAY)), env)
    assert "0 files within 3 import hops" in md
    assert "Impacted services" not in md and "<details>" not in md


def test_risk_cap_obligation(cg: CodeGraph) -> None:
    card = decision_card(blast_radius(cg, ["src/acme/billing/tax.py"], TODAY))
    passed = risk_cap_result(card, cap=0.9)
    failed = risk_cap_result(card, cap=0.1)
    assert (passed.status, passed.reason) == (ObligationStatus.PASSED, "within_limit")
    assert (failed.status, failed.reason) == (ObligationStatus.FAILED, "above_limit")
    assert failed.actual == card.risk and failed.required == 0.1
    assert "src/acme/billing/tax.py -> src/acme/billing/ledger.py" in failed.facts


def ids(cg: CodeGraph, changed: list[str]) -> dict[str, str]:
    blast = blast_radius(cg, changed, TODAY)
    report = affected_targets(cg.services, changed, blast)
    return {t.id: t.reason for t in report.targets}


def test_affected_by_sources_dependencies_and_services(cg: CodeGraph) -> None:
    assert ids(cg, ["src/acme/billing/tax.py"]) == {
        "nix#billing-service": "sources_changed",
        "image#billing": "dependency_affected",
        "test#billing-tests": "service_impacted",
    }
    assert ids(cg, ["src/acme/common/log.py"]) == {
        "nix#acme-common": "sources_changed",
        "nix#billing-service": "dependency_affected",
        "image#billing": "dependency_affected",
        "test#billing-tests": "service_impacted",
        "test#search-tests": "service_impacted",
    }
    assert ids(cg, ["web/Dockerfile"]) == {
        "image#web": "sources_changed",
        "test#web-unit": "service_impacted",
    }
    assert ids(cg, ["gateway/internal/auth/token.go"]) == {
        "nix#gateway": "sources_changed",
        "test#gateway-go-test": "service_impacted",
    }
    assert ids(cg, ["README.md"]) == {}


def test_matrix_is_actions_ready(cg: CodeGraph) -> None:
    changed = ["src/acme/billing/tax.py"]
    matrix = affected_targets(cg.services, changed, blast_radius(cg, changed, TODAY)).matrix()
    assert list(matrix) == ["include"]
    entries = {e["id"]: e for e in json.loads(json.dumps(matrix))["include"]}
    image = entries["image#billing"]
    assert image["platforms"] == "linux/amd64,linux/arm64"
    assert image["dockerfile"] == "docker/billing.Dockerfile"
    assert image["trigger"] == "nix#billing-service"
    nix = entries["nix#billing-service"]
    # price 0.7 × 0.63 + carbon 0.3 × 0.72 = 0.657 < 1.0 for amd64.
    assert (nix["arch"], nix["runs-on"], nix["arch_reason"]) == (
        "arm64",
        "ubuntu-24.04-arm",
        "lowest_weighted_score",
    )
    assert nix["arch_scores"] == {"amd64": 1.0, "arm64": 0.657}
    assert entries["test#billing-tests"]["command"].startswith("pytest")


def test_without_blast_only_services_whose_paths_changed(cg: CodeGraph) -> None:
    report = affected_targets(cg.services, ["src/acme/common/log.py"])
    assert "test#search-tests" not in {t.id for t in report.targets}


def test_platform_choice() -> None:
    target = Target(kind="nix", name="x")
    only = Target(kind="nix", name="x", archs=["amd64"])
    policy = PlatformPolicy(
        weights={"price": 0.2, "carbon": 0.8},
        architectures={
            "amd64": ArchCost(price=1.0, carbon=0.5, runner="x64"),
            "arm64": ArchCost(price=0.5, carbon=1.0, runner="a64"),
        },
    )
    chosen = choose_platform(target, policy)
    assert (chosen.arch, chosen.reason) == ("amd64", "lowest_weighted_score")  # carbon dominates
    assert choose_platform(only, policy).reason == "only_allowed"
    tie = choose_platform(target, PlatformPolicy())
    assert (tie.arch, tie.reason) == ("amd64", "tie_first_name")
