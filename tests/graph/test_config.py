"""services.yml validation: a valid config loads; every error names the file and the line."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.config import SERVICES_PATH, parse_services


def test_fixture_services_yml_loads(monorepo_files: dict[str, str]) -> None:
    cfg, findings = parse_services(monorepo_files[SERVICES_PATH])
    assert findings == []
    assert [s.name for s in cfg.services] == ["billing", "common", "search", "web", "gateway"]
    billing = cfg.services[0]
    assert billing.criticality == "critical"
    assert [s.objective for s in billing.slos] == [99.95, 99.0]
    assert [t.ref for t in billing.targets] == [
        "nix#billing-service",
        "image#billing",
        "test#billing-tests",
    ]
    assert billing.targets[0].dep_refs() == ["nix#acme-common"]
    assert cfg.incidents[0].date == dt.date(2026, 10, 2)
    assert cfg.policy.platforms.architectures["arm64"].price == 0.63


BAD = [
    (
        "services:\n  - name: a\n    paths: [x/**]\n    criticalty: high\n",
        4,
        "services_invalid",
        "criticalty",
    ),
    (
        "services:\n  - name: a\n    paths: [x/**]\n    targets:\n      - kind: image\n"
        "        name: a\n",
        5,
        "services_invalid",
        "dockerfile",
    ),
    (
        "targets:\n  - kind: nix\n    name: a\n    deps: [b]\n",
        4,
        "unknown_target",
        "nix#b",
    ),
    (
        "services:\n  - {name: a, paths: [a/**]}\n  - {name: a, paths: [b/**]}\n",
        3,
        "duplicate_service",
        "a",
    ),
    (
        "incidents:\n  - id: INC-1\n    date: 2026-13-40\n",
        3,
        "services_invalid",
        "date",
    ),
    (
        "incidents:\n  - id: INC-1\n    date: 2026-01-01\n    services: [ghost]\n",
        4,
        "unknown_service",
        "ghost",
    ),
    ("services:\n  - name: a\n    paths: ['!x']\n", 3, "services_invalid", "negation"),
    ("services: [\n  {name: a,\n", 3, "yaml_syntax_error", ""),
    ("policy:\n  risk:\n    weights: {vibes: 1}\n", 3, "services_invalid", "vibes"),
]


@pytest.mark.parametrize(("text", "line", "code", "detail"), BAD)
def test_errors_name_the_line(text: str, line: int, code: str, detail: str) -> None:
    cfg, findings = parse_services(text)
    assert cfg.services == [] and cfg.targets == []
    assert findings, "expected a finding"
    first = findings[0]
    assert (first.path, first.line, first.code) == (SERVICES_PATH, line, code)
    assert detail in first.detail


def test_empty_and_non_mapping() -> None:
    assert parse_services("")[1] == []
    _, findings = parse_services("- just\n- a list\n")
    assert [f.code for f in findings] == ["services_not_a_mapping"]


@settings(max_examples=150)
@given(st.text(alphabet=" :-[]{}#\n\tabc1'\"", max_size=120))
def test_arbitrary_text_never_raises(text: str) -> None:
    _, findings = parse_services(text)
    for f in findings:
        assert f.path == SERVICES_PATH
