"""Deltas of the corpus two-commit pairs, the fast differential path against the plain one,
differential vs full scans, and the criticals verdict."""

from __future__ import annotations

import re

import pytest

from checks.sbom import (
    Component,
    Severity,
    delta,
    diff_manifest,
    differential_scan,
    full_scan,
    parse_manifest,
    sbom_criticals,
    scan_components,
)
from checks.sbom.models import Delta, Finding
from checks.sbom.osv import OsvIndex, load_osv
from sbom.paths import LOCK, OSV, OSV_MORE, all_pairs

PAIRS = all_pairs()


def _summary(d: Delta):
    return (
        sorted((c.ecosystem, c.name, c.version) for c in d.added),
        sorted((c.ecosystem, c.name, c.version) for c in d.removed),
        sorted((u.ecosystem, u.name, u.old.version, u.new.version) for u in d.upgraded),
        sorted((u.ecosystem, u.name, u.old.version, u.new.version) for u in d.downgraded),
        sorted((lc.name, lc.version, lc.old_licence, lc.new_licence) for lc in d.licence_changes),
    )


def _pair_delta(name):
    base, head = PAIRS[name]
    return diff_manifest(head.name, base.read_bytes(), head.read_bytes())


def _upgrades(d: Delta):
    return {u.name: (u.old.version, u.new.version) for u in d.upgraded}


def test_npm_v3_lock_maintenance():
    d = _pair_delta("npm-v3")
    ups = _upgrades(d)
    assert ups["semver"] == ("7.7.4", "7.8.4")
    assert ups["undici"] == ("7.24.7", "7.27.2")
    assert ups["ajv"] == ("8.18.0", "8.20.0")
    assert ups["esbuild"] == ("0.27.7", "0.28.1")
    semver = next(u for u in d.upgraded if u.name == "semver")
    assert (
        '"node_modules/semver"'
        in (LOCK / "npm/octokit-webhooks/64f772e4ee96/package-lock.json")
        .read_text()
        .splitlines()[semver.new.line - 1]
    )
    assert {c.name for c in d.removed} == {"get-tsconfig", "resolve-pkg-maps"}
    assert not d.downgraded and not d.added


def test_hashed_requirements_bump():
    d = _pair_delta("pip-hashed")
    assert _upgrades(d) == {"sigstore": ("4.4.0", "4.5.0")}
    assert d.upgraded[0].new.line == 743
    assert not d.added and not d.removed  # pydantic[email] -> pydantic keeps the version


def test_cargo_v4_bump():
    d = _pair_delta("cargo-v4")
    assert _upgrades(d) == {"xml": ("1.3.0", "1.4.0")}
    assert d.size == 1


def test_go_bumps():
    mod = _upgrades(_pair_delta("go.mod"))
    assert mod["github.com/tink-crypto/tink-go-gcpkms/v2"] == ("v2.2.0", "v2.4.0")
    assert mod["stdlib"] == ("1.25.8", "1.25.11")
    assert _upgrades(_pair_delta("go.sum"))["github.com/tink-crypto/tink-go-gcpkms/v2"] == (
        "v2.2.0",
        "v2.4.0",
    )


def test_poetry_update_locked_dependencies():
    ups = _upgrades(_pair_delta("poetry"))
    assert len(ups) == 17
    assert ups["certifi"] == ("2025.11.12", "2026.1.4")
    assert ups["virtualenv"] == ("20.35.4", "20.36.1")


def test_same_project_in_two_cyclonedx_versions_has_no_delta():
    assert _pair_delta("laravel-1.2-vs-1.4").is_empty


def test_proton_bridge_releases():
    d = _pair_delta("proton-bridge")
    assert not d.is_empty
    assert all(c.ecosystem == "Go" for c in d.added + d.removed)


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_fast_differential_equals_parse_both_and_diff(name):
    base, head = PAIRS[name]
    fast = diff_manifest(head.name, base.read_bytes(), head.read_bytes())
    plain = delta(
        parse_manifest(head.name, base.read_bytes()).components,
        parse_manifest(head.name, head.read_bytes()).components,
    )
    assert _summary(fast) == _summary(plain)


def _edit(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


def test_fast_differential_on_edited_files_with_duplicated_names():
    # npm v2: semver exists in three versions at several paths; change one, drop one, add one
    path = LOCK / "npm/octokit-webhooks/0355b158c05f/package-lock.json"
    base = path.read_text()
    head = _edit(
        base,
        '"node_modules/braces": {\n      "version": "3.0.2"',
        '"node_modules/braces": {\n      "version": "3.0.3"',
    )
    head = re.sub(r'"version": "7\.3\.7"', '"version": "7.5.2"', head, count=1)
    head = head.replace('"node_modules/yallist": {', '"node_modules/yallist-renamed": {', 1)
    fast = diff_manifest("package-lock.json", base, head)
    plain = delta(
        parse_manifest("package-lock.json", base).components,
        parse_manifest("package-lock.json", head).components,
    )
    assert _summary(fast) == _summary(plain)
    assert _upgrades(fast)["braces"] == ("3.0.2", "3.0.3")


def test_downgrade_and_licence_change():
    base = [_c("a", "2.0.0", "MIT"), _c("b", "1.0.0", "MIT"), _c("c", "1.0.0", "MIT")]
    head = [_c("a", "1.9.0", "MIT"), _c("b", "1.0.0", "GPL-3.0-only"), _c("d", "0.1.0", None)]
    d = delta(base, head, "package-lock.json")
    assert [(u.name, u.old.version, u.new.version) for u in d.downgraded] == [
        ("a", "2.0.0", "1.9.0")
    ]
    assert [(lc.name, lc.old_licence, lc.new_licence) for lc in d.licence_changes] == [
        ("b", "MIT", "GPL-3.0-only")
    ]
    assert [c.name for c in d.added] == ["d"] and [c.name for c in d.removed] == ["c"]


def test_pypi_names_are_compared_after_pep503_normalisation():
    d = delta([_c("Foo_Bar", "1.0", None, "PyPI")], [_c("foo-bar", "1.1", None, "PyPI")])
    assert [(u.old.version, u.new.version) for u in d.upgraded] == [("1.0", "1.1")]


def _c(name, version, licence, eco="npm"):
    return Component(name=name, version=version, ecosystem=eco, licence=licence, file="f", line=1)


def test_new_and_deleted_manifests():
    path = LOCK / "cargo/rustsec-rustsec-cargo-audit-fixture-base64_vuln/Cargo.lock"
    created = diff_manifest("Cargo.lock", None, path.read_bytes())
    assert {c.name for c in created.added} == {"base64", "byteorder"}
    deleted = diff_manifest("Cargo.lock", path.read_bytes(), None)
    assert {c.name for c in deleted.removed} == {"base64", "byteorder"} and not deleted.problems


# --- scans ------------------------------------------------------------------------------


def _fkeys(findings: list[Finding]):
    return {(f.id, f.ecosystem, f.package, f.version, f.line) for f in findings}


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_differential_and_full_agree_on_changed_components(osv_index, name):
    base, head = PAIRS[name]
    diff = differential_scan({head.name: (base.read_bytes(), head.read_bytes())}, osv_index)
    full = full_scan({head.name: head.read_bytes()}, osv_index)
    changed = {(c.ecosystem, c.name, c.version) for d in diff.deltas for c in d.head_changed()}
    assert _fkeys(diff.findings) == _fkeys(
        [f for f in full.findings if (f.ecosystem, f.package, f.version) in changed]
    )
    assert diff.scanned <= full.scanned


def test_differential_and_full_agree_when_advisories_hit(osv_index):
    # a PR that replaces the 2025 lockfile by the 2022 one brings semver 7.3.7, braces 3.0.2 …
    base = (LOCK / "npm/octokit-webhooks/76f8deb2d40c/package-lock.json").read_bytes()
    head = (LOCK / "npm/octokit-webhooks/0355b158c05f/package-lock.json").read_bytes()
    diff = differential_scan({"package-lock.json": (base, head)}, osv_index)
    full = full_scan({"package-lock.json": head}, osv_index)
    changed = {(c.ecosystem, c.name, c.version) for d in diff.deltas for c in d.head_changed()}
    expected = [f for f in full.findings if (f.ecosystem, f.package, f.version) in changed]
    assert _fkeys(diff.findings) == _fkeys(expected)
    got = {(f.id, f.package, f.version) for f in diff.findings}
    assert {
        ("GHSA-c2qf-rxjj-qqgw", "semver", "7.3.7"),
        ("GHSA-grv7-fg5c-xmjg", "braces", "3.0.2"),
        ("GHSA-952p-6rrq-rcjv", "micromatch", "4.0.5"),
    } <= got


def test_v2_lockfile_full_scan_finds_the_corpus_advisories(osv_index):
    head = (LOCK / "npm/octokit-webhooks/0355b158c05f/package-lock.json").read_bytes()
    report = full_scan({"package-lock.json": head}, osv_index)
    by = {(f.id, f.package, f.version): f for f in report.findings}
    braces = by[("GHSA-grv7-fg5c-xmjg", "braces", "3.0.2")]
    assert (braces.severity, braces.score, braces.fixed) == (Severity.HIGH, 7.5, "3.0.3")
    assert '"node_modules/braces"' in head.decode().splitlines()[braces.line - 1]
    assert by[("GHSA-c2qf-rxjj-qqgw", "semver", "7.3.7")].fixed == "7.5.2"
    assert by[("GHSA-952p-6rrq-rcjv", "micromatch", "4.0.5")].fixed == "4.0.8"
    assert sbom_criticals(report.findings) == 0
    assert sbom_criticals(report.findings, block_high=True) == 1
    # the v3 lockfiles are not affected by these
    newer = (LOCK / "npm/octokit-webhooks/64f772e4ee96/package-lock.json").read_bytes()
    assert full_scan({"package-lock.json": newer}, osv_index).findings == []


CARGO = LOCK / "cargo/rustsec-rustsec-cargo-audit-fixture-base64_vuln/Cargo.lock"


def test_pr_bumping_into_a_critical_fails_and_the_fix_passes(osv_index):
    vulnerable = CARGO.read_text()
    fixed = vulnerable.replace('version = "0.5.1"', 'version = "0.5.2"').replace(
        "base64 0.5.1", "base64 0.5.2"
    )
    into = differential_scan({"Cargo.lock": (fixed, vulnerable)}, osv_index)
    assert [(u.name, u.old.version, u.new.version) for u in into.deltas[0].downgraded] == [
        ("base64", "0.5.2", "0.5.1")
    ]
    [finding] = into.findings
    assert finding.id == "RUSTSEC-2017-0004"
    assert (finding.severity, finding.score, finding.fixed) == (Severity.CRITICAL, 9.8, "0.5.2")
    assert (finding.file, finding.line) == ("Cargo.lock", 4)
    assert sbom_criticals(into.findings) == 1
    out = differential_scan({"Cargo.lock": (vulnerable, fixed)}, osv_index)
    assert out.findings == [] and sbom_criticals(out.findings) == 0


def test_criticals_count_distinct_advisory_package_version():
    f = Finding(id="A", package="p", version="1", ecosystem="npm", severity=Severity.CRITICAL)
    g = f.model_copy(update={"file": "other/package-lock.json"})
    h = f.model_copy(update={"id": "B", "severity": Severity.HIGH})
    assert sbom_criticals([f, g, h]) == 1
    assert sbom_criticals([f, g, h], block_high=True) == 2


def test_components_without_version_or_ecosystem_are_not_matched(osv_index):
    comps = [
        _c("semver", "", None),
        Component(name="semver", version="7.3.7", ecosystem="", file="f"),
    ]
    assert scan_components(comps, osv_index) == []


# (base, head, edits made to the head to bring vulnerable versions in, advisories expected)
VULNERABLE_PRS = {
    "PyPI": (
        "pip/sigstore-gh-action-sigstore-python/cbab91d8551b/main.txt",
        "pip/sigstore-gh-action-sigstore-python/74e004047800/main.txt",
        [("requests==2.34.2", "requests==2.30.0"), ("idna==3.18", "idna==3.6")],
        {("PYSEC-2023-74", "requests", "2.30.0"), ("PYSEC-2024-60", "idna", "3.6")},
    ),
    "npm": (
        "npm/octokit-webhooks/76f8deb2d40c/package-lock.json",
        "npm/octokit-webhooks/0355b158c05f/package-lock.json",
        [],
        {("GHSA-c2qf-rxjj-qqgw", "semver", "7.3.7"), ("GHSA-grv7-fg5c-xmjg", "braces", "3.0.2")},
    ),
    "crates.io": (
        "cargo/rustsec-rustsec/b2af1cc8c192/Cargo.lock",
        "cargo/rustsec-rustsec/7fad63bdb0a7/Cargo.lock",
        [
            ('name = "regex"\nversion = "1.13.1"', 'name = "regex"\nversion = "1.5.4"'),
            ('name = "h2"\nversion = "0.4.15"', 'name = "h2"\nversion = "0.4.1"'),
        ],
        {("RUSTSEC-2022-0013", "regex", "1.5.4"), ("RUSTSEC-2024-0003", "h2", "0.4.1")},
    ),
    "Go": (
        "go/sigstore-rekor/d53aa51f4c39/go.sum",
        "go/sigstore-rekor/a8544a8e30ac/go.sum",
        [
            ("golang.org/x/net v0.57.0", "golang.org/x/net v0.17.0"),
            ("x/text v0.41.0", "x/text v0.3.6"),
        ],
        {
            ("GO-2024-2687", "golang.org/x/net", "v0.17.0"),
            ("GO-2021-0113", "golang.org/x/text", "v0.3.6"),
        },
    ),
}


@pytest.mark.parametrize("ecosystem", sorted(VULNERABLE_PRS))
def test_differential_and_full_agree_with_findings_in_each_ecosystem(osv_index, ecosystem):
    """A PR that brings vulnerable versions into a real lockfile: the differential scan finds
    exactly what the full scan of the head finds for the changed components, and those are the
    corpus advisories."""
    base_rel, head_rel, edits, expected = VULNERABLE_PRS[ecosystem]
    base = (LOCK / base_rel).read_text()
    head = (LOCK / head_rel).read_text()
    for old, new in edits:
        assert old in head
        head = head.replace(old, new)
    name = head_rel.rsplit("/", 1)[1]
    diff = differential_scan({name: (base, head)}, osv_index)
    full = full_scan({name: head}, osv_index)
    assert not diff.problems and not full.problems
    changed = {(c.ecosystem, c.name, c.version) for d in diff.deltas for c in d.head_changed()}
    assert _fkeys(diff.findings) == _fkeys(
        [f for f in full.findings if (f.ecosystem, f.package, f.version) in changed]
    )
    assert expected <= {(f.id, f.package, f.version) for f in diff.findings}
    assert {f.ecosystem for f in diff.findings} == {ecosystem}
    assert diff.scanned < full.scanned


def test_records_that_alias_each_other_are_one_finding():
    """PYSEC-2023-74 (PyPA) names GHSA-j8r2-6x86-q33q (GitHub) as an alias: the same
    requests vulnerability matches once, under the record with a computed CVSS score."""
    records = load_osv(OSV) + load_osv(OSV_MORE)
    index = OsvIndex(a for a in records if a.id in ("PYSEC-2023-74", "GHSA-j8r2-6x86-q33q"))
    comp = _c("requests", "2.30.0", None, eco="PyPI")
    assert len(index.match(comp)) == 2
    [finding] = scan_components([comp], index)
    assert finding.id == "GHSA-j8r2-6x86-q33q"
    assert {"PYSEC-2023-74", "CVE-2023-32681"} <= set(finding.aliases)
    assert (finding.severity, finding.severity_source, finding.fixed) == (
        Severity.MEDIUM,
        "cvss_v3_computed",
        "2.31.0",
    )
    critical = [f.model_copy(update={"severity": Severity.CRITICAL}) for f in index.match(comp)]
    assert sbom_criticals(critical) == 1
    elsewhere = [f.model_copy(update={"file": "other.txt"}) for f in critical]
    assert sbom_criticals(critical + elsewhere) == 1
    assert len(scan_components([comp, comp.model_copy(update={"file": "b.txt"})], index)) == 2
