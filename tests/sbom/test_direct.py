"""Direct vs transitive: read from the lockfile where it records it, from the manifest next to
it (Pipfile, pyproject.toml, package.json) where it does not, and None — never False — when
neither tells."""

from __future__ import annotations

from pathlib import Path

import pytest

from checks.sbom import parse_manifest
from sbom.paths import GEN, LOCK, SBOM

ROOTS = {"@octokit/webhooks-methods", "micromatch", "semver", "is-number"}


def disk(target: str, including: str) -> bytes | None:
    path = Path(including).parent / target
    return path.read_bytes() if path.is_file() else None


def nothing(_target: str, _including: str) -> bytes | None:
    return None


def _direct(path: Path, resolve=None) -> dict[str, bool | None]:
    result = parse_manifest(str(path), path.read_bytes(), resolve=resolve)
    assert result.problems == []
    return {c.name: c.direct for c in result.components}


@pytest.mark.parametrize("rel", ["yarn-v1/yarn.lock", "npm-v1/package-lock.json"])
def test_npm_v1_and_yarn_v1_take_direct_from_package_json(rel):
    direct = _direct(GEN / rel, disk)
    assert {n for n, d in direct.items() if d} == ROOTS
    assert all(d is False for n, d in direct.items() if n not in ROOTS)


def test_yarn_v1_without_package_json_does_not_guess():
    assert set(_direct(GEN / "yarn-v1/yarn.lock", nothing).values()) == {None}


def test_yarn_v1_entry_serving_another_range_of_a_root_package_is_transitive():
    text = (
        '"semver@^5.0.0":\n  version "5.7.1"\n\n'
        '"semver@7.3.7":\n  version "7.3.7"\n'
        '  dependencies:\n    lru-cache "^6.0.0"\n\n'
        '"lru-cache@^6.0.0":\n  version "6.0.0"\n'
    )
    pkg = b'{"dependencies": {"semver": "7.3.7"}}'
    comps = parse_manifest(
        "yarn.lock", "# yarn lockfile v1\n\n" + text, resolve=lambda t, _i: pkg
    ).components
    assert sorted((c.name, c.version, c.direct) for c in comps) == [
        ("lru-cache", "6.0.0", False),
        ("semver", "5.7.1", False),
        ("semver", "7.3.7", True),
    ]


def test_npm_v1_without_package_json_says_only_what_the_tree_shows():
    direct = _direct(GEN / "npm-v1/package-lock.json", nothing)
    # nothing requires these top-level entries, so the project does
    assert {n for n, d in direct.items() if d} == {
        "@octokit/webhooks-methods",
        "micromatch",
        "semver",
    }
    # is-number is a root dev dependency that to-regex-range requires too: unknown
    assert direct["is-number"] is None and direct["braces"] is None
    assert False not in direct.values()


def test_npm_v1_nested_entries_are_transitive():
    text = """{"lockfileVersion": 1, "dependencies": {
  "a": {"version": "1.0.0", "requires": {"b": "^2"},
        "dependencies": {"b": {"version": "2.0.0"}}},
  "b": {"version": "1.0.0"}}}"""
    comps = parse_manifest("package-lock.json", text).components
    assert sorted((c.name, c.version, c.direct) for c in comps) == [
        ("a", "1.0.0", True),
        ("b", "1.0.0", None),  # `a` requires b too, so the lock alone cannot tell
        ("b", "2.0.0", False),
    ]


def test_pipfile_lock_takes_direct_from_the_pipfile():
    direct = _direct(GEN / "pipenv/Pipfile.lock", disk)
    assert direct["requests"] is True and direct["pytest"] is True  # dev-packages count
    assert direct["urllib3"] is False and direct["idna"] is False
    assert set(_direct(GEN / "pipenv/Pipfile.lock", nothing).values()) == {None}


def test_poetry_lock_takes_direct_from_pyproject():
    lock = LOCK / "poetry/python-poetry-poetry-core/2bc56e443bb1/poetry.lock"
    direct = _direct(lock, disk)
    assert direct["pytest"] is True and direct["mypy"] is True and direct["tomli-w"] is True
    assert direct["pluggy"] is False  # pytest's dependency
    assert set(_direct(lock, nothing).values()) == {None}


CDX_XML = """<?xml version="1.0"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.5" version="1">
  <metadata>
    <component type="application" bom-ref="app"><name>app</name></component>
  </metadata>
  <components>
    <component type="library" bom-ref="pkg:pypi/requests@2.31.0">
      <name>requests</name><version>2.31.0</version><purl>pkg:pypi/requests@2.31.0</purl>
    </component>
    <component type="library" bom-ref="pkg:pypi/idna@3.6">
      <name>idna</name><version>3.6</version><purl>pkg:pypi/idna@3.6</purl>
    </component>
  </components>
  <dependencies>
    <dependency ref="app"><dependency ref="pkg:pypi/requests@2.31.0"/></dependency>
    <dependency ref="pkg:pypi/requests@2.31.0"><dependency ref="pkg:pypi/idna@3.6"/></dependency>
    <dependency ref="pkg:pypi/idna@3.6"/>
  </dependencies>
</bom>
"""


def test_cyclonedx_xml_direct_from_the_dependency_graph():
    comps = parse_manifest("bom.xml", CDX_XML).components
    assert {(c.name, c.direct) for c in comps} == {("requests", True), ("idna", False)}
    no_root = CDX_XML.replace('<dependency ref="app">', '<dependency ref="other">')
    comps = parse_manifest("bom.xml", no_root).components
    assert {c.direct for c in comps} == {None}


def test_cyclonedx_json_without_a_graph_entry_for_the_root_is_unknown():
    path = SBOM / "cyclonedx/bom-examples/SBOM/dropwizard-1.3.15/bom.json"
    assert set(_direct(path).values()) == {None}
    laravel = _direct(SBOM / "cyclonedx/bom-examples/SBOM/laravel-7.12.0/bom.1.4.json")
    assert True in laravel.values() and False in laravel.values()
