"""Decision Card rendering, the riskCap obligation, affected targets and the Actions matrix."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jinja2
import pytest

from graph.affected import affected_targets, choose_platform
from graph.blast import blast_radius
from graph.config import ArchCost, PlatformPolicy, Target
from graph.decision import decision_card, render_markdown, risk_measurement
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


def test_risk_measurement_carries_service_and_critical_file_reasons(cg: CodeGraph) -> None:
    card = decision_card(blast_radius(cg, ["src/acme/billing/tax.py"], TODAY))
    measurement = risk_measurement(card)
    assert measurement.key == "riskCap" and measurement.value == card.risk
    assert measurement.facts == [
        "billing: src/acme/billing/tax.py",
        "src/acme/billing/ledger.py: src/acme/billing/tax.py → src/acme/billing/ledger.py",
    ]
    common = decision_card(blast_radius(cg, ["src/acme/common/money.py"], TODAY))
    assert (
        "search: src/acme/common/money.py → src/acme/common/__init__.py → "
        + ("src/acme/search/index.py")
        in risk_measurement(common).facts
    )


def test_long_lists_fold_into_details_and_count_what_is_left_out() -> None:
    files = {f"src/m{i:03d}.py": "import base\n" for i in range(80)}
    files["src/base.py"] = ""
    files["CODEOWNERS"] = "".join(f"/src/m{i:03d}.py @org/t{i % 9}\n" for i in range(80))
    files |= {f"tests/test_m{i:03d}.py": f"import m{i:03d}\n" for i in range(60)}
    cg = build_graph(files)
    card = decision_card(blast_radius(cg, ["src/base.py"], TODAY), top=3, limit=20)
    assert card.required_test_count == 60 and len(card.required_tests) == 20
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=False)
    md = render_markdown(card, env)
    assert "(+" not in md and " more</summary>" in md  # folded, not "(+N more)"
    assert "<details><summary>6 more owners</summary>" in md  # 9 owners, 3 shown
    assert "<details><summary>57 more tests</summary>" in md
    assert "- … and 40 not listed here" in md  # 60 tests, the card carries 20
    assert "141 files within 3 hops; 81 code files in the repository" in md
    untested = next(line for line in md.splitlines() if line.startswith("| Untested"))
    # 21 untested files: 3 shown, 17 folded, 1 beyond the limit of 20.
    assert "<details><summary>18 more</summary>" in untested
    assert "src/m078.py … and 1 not listed</details> |" in untested
    assert md.count("<details>") == md.count("</details>")


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


def test_an_image_runs_only_on_architectures_its_platforms_build() -> None:
    # arm64 is the cheaper runner, yet an amd64-only image must not be built there.
    cheap = {"arm64": ArchCost(price=0.5, carbon=0.5, runner="a64"), "amd64": ArchCost()}
    policy = PlatformPolicy(architectures=cheap)
    amd_only = Target(kind="image", name="x", dockerfile="D", platforms=["linux/amd64"])
    chosen = choose_platform(amd_only, policy)
    assert (chosen.arch, chosen.reason, chosen.scores) == ("amd64", "only_allowed", {"amd64": 1.0})
    both = Target(
        kind="image", name="x", dockerfile="D", platforms=["linux/amd64", "linux/arm64/v8"]
    )
    assert choose_platform(both, policy).arch == "arm64"
    assert choose_platform(Target(kind="nix", name="n"), policy).arch == "arm64"  # no platforms
    s390 = Target(kind="image", name="x", dockerfile="D", platforms=["linux/s390x"])
    assert choose_platform(s390, policy).reason == "unpriced"
    with pytest.raises(ValueError, match="'platforms' do not build"):
        Target(kind="image", name="x", dockerfile="D", platforms=["linux/amd64"], archs=["arm64"])
