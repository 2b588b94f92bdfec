"""Offline OSV: loading JSON, YAML and all.zip; the (ecosystem, PEP 503 name) index; matching
the corpus advisories inside and just outside their ranges; severities."""

from __future__ import annotations

import json
import zipfile

import pytest

from checks.sbom import Component, OsvIndex, advisory_from_osv, advisory_severity, load_osv
from checks.sbom.ecosystems import make_purl
from checks.sbom.models import Severity
from sbom.paths import OSV, OSV_MORE


def comp(ecosystem: str, name: str, version: str) -> Component:
    return Component(
        name=name,
        version=version,
        ecosystem=ecosystem,
        purl=make_purl(ecosystem, name, version),
        file="x",
        line=1,
    )


def test_loads_json_and_yaml_records_and_skips_the_schema():
    advisories = load_osv(OSV)
    ids = [a.id for a in advisories]
    assert len(ids) == 22
    assert "PYSEC-2023-212" in ids  # YAML
    assert "RUSTSEC-2017-0004" in ids and "GO-2024-2687" in ids
    yaml_rec = next(a for a in advisories if a.source.endswith("PYSEC-2023-212.yaml"))
    assert any(r.type == "GIT" for r in yaml_rec.affected[0].ranges)


def test_loads_osv_all_zip(tmp_path):
    zpath = tmp_path / "all.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for f in sorted(OSV.rglob("*.json")):
            if f.name != "schema.json":
                zf.write(f, f.name)
    from_zip = {a.id for a in load_osv(zpath)}
    from_dir = {a.id for a in load_osv(OSV) if a.source.endswith(".json")}
    assert from_zip == from_dir
    # a directory of per-ecosystem zips, as OSV publishes them
    (tmp_path / "npm").mkdir()
    (tmp_path / "npm" / "all.zip").write_bytes(zpath.read_bytes())
    assert {a.id for a in load_osv(tmp_path)} == from_dir


def test_broken_records_do_not_stop_loading(tmp_path):
    (tmp_path / "bad.json").write_text("{ not json")
    (tmp_path / "notosv.json").write_text('{"hello": 1}')
    (tmp_path / "ok.json").write_text(json.dumps({"id": "X-1", "affected": []}))
    assert [a.id for a in load_osv(tmp_path)] == ["X-1"]


# (ecosystem, package, version, advisory id or None, first fixed version)
CASES = [
    # npm v2 lockfile end-to-end cases from the corpus README, and just outside
    ("npm", "semver", "7.3.7", "GHSA-c2qf-rxjj-qqgw", "7.5.2"),
    ("npm", "semver", "7.5.1", "GHSA-c2qf-rxjj-qqgw", "7.5.2"),
    ("npm", "semver", "7.5.2", None, None),
    ("npm", "semver", "6.3.0", "GHSA-c2qf-rxjj-qqgw", "6.3.1"),
    ("npm", "semver", "6.3.1", None, None),
    ("npm", "semver", "5.7.1", "GHSA-c2qf-rxjj-qqgw", "5.7.2"),
    ("npm", "semver", "7.0.0-rc.1", None, None),  # pre-release below introduced 7.0.0 ...
    ("npm", "braces", "3.0.2", "GHSA-grv7-fg5c-xmjg", "3.0.3"),
    ("npm", "braces", "3.0.3", None, None),
    ("npm", "micromatch", "4.0.5", "GHSA-952p-6rrq-rcjv", "4.0.8"),
    ("npm", "micromatch", "4.0.8", None, None),
    # crates.io, SEMVER ranges
    ("crates.io", "base64", "0.5.1", "RUSTSEC-2017-0004", "0.5.2"),
    ("crates.io", "base64", "0.5.2", None, None),
    ("crates.io", "time", "0.1.45", "RUSTSEC-2020-0071", "0.2.0"),  # 8 intervals in one range
    ("crates.io", "time", "0.2.0", None, None),
    ("crates.io", "time", "0.2.7", "RUSTSEC-2020-0071", "0.2.23"),
    ("crates.io", "time", "0.2.22", "RUSTSEC-2020-0071", "0.2.23"),
    ("crates.io", "time", "0.2.23", None, None),
    ("crates.io", "time", "0.3.0", None, None),
    # Go: modules without the 'v' the lockfiles use, and the standard library
    ("Go", "golang.org/x/text", "v0.3.6", "GO-2021-0113", "0.3.7"),
    ("Go", "golang.org/x/text", "v0.3.7", None, None),
    ("Go", "stdlib", "1.22.1", "GO-2024-2687", "1.22.2"),
    ("Go", "stdlib", "1.22.2", None, None),
    ("Go", "stdlib", "1.21.8", "GO-2024-2687", "1.21.9"),
    # PyPI: PEP 440, PEP 503 names, ECOSYSTEM + GIT ranges, versions lists
    ("PyPI", "urllib3", "1.26.17", "PYSEC-2023-212", "1.26.18"),
    ("PyPI", "urllib3", "1.26.18", None, None),
    ("PyPI", "urllib3", "2.0.6", "PYSEC-2023-212", "2.0.7"),
    ("PyPI", "urllib3", "2.0.7", None, None),
    ("PyPI", "gradio", "4.36.1", "GHSA-9v2f-6vcg-3hgv", None),  # record says "Gradio"
    ("PyPI", "Gradio", "4.36.2", None, None),
]


@pytest.mark.parametrize("eco,name,version,adv_id,fixed", CASES)
def test_matching_inside_and_outside_ranges(osv_index, eco, name, version, adv_id, fixed):
    findings = osv_index.match(comp(eco, name, version))
    if adv_id is None:
        assert _ids(findings) & _expected_ids(eco, name) == set()
        return
    by_id = {f.id: f for f in findings}
    assert adv_id in by_id
    f = by_id[adv_id]
    assert f.fixed == fixed
    assert (f.package, f.version, f.ecosystem, f.file, f.line) == (name, version, eco, "x", 1)


def _ids(findings):
    return {f.id for f in findings}


def _expected_ids(eco, name):
    return {c[3] for c in CASES if c[0] == eco and c[1].lower() == name.lower() and c[3]}


def test_requests_pysec_and_ghsa_both_match(osv_index):
    ids = _ids(osv_index.match(comp("PyPI", "requests", "2.31.0")))
    assert "GHSA-9wx4-h78v-vm56" in ids  # the record's range: introduced 0, fixed 2.32.2
    later = osv_index.match(comp("PyPI", "requests", "2.32.1"))
    assert [f.fixed for f in later if f.id == "GHSA-9wx4-h78v-vm56"] == ["2.32.2"]
    assert "GHSA-9wx4-h78v-vm56" not in _ids(osv_index.match(comp("PyPI", "requests", "2.32.2")))


def test_git_only_and_withdrawn_records_never_match():
    git_only = advisory_from_osv(
        {
            "id": "T-GIT",
            "affected": [
                {
                    "package": {"ecosystem": "PyPI", "name": "x"},
                    "ranges": [{"type": "GIT", "repo": "r", "events": [{"introduced": "0"}]}],
                }
            ],
        }
    )
    withdrawn = advisory_from_osv(
        {
            "id": "T-W",
            "withdrawn": "2024-01-01T00:00:00Z",
            "affected": [
                {
                    "package": {"ecosystem": "PyPI", "name": "x"},
                    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}],
                }
            ],
        }
    )
    index = OsvIndex([git_only, withdrawn])
    assert index.match(comp("PyPI", "x", "1.0")) == []


def test_severity_is_computed_not_taken_from_the_label():
    adv = next(a for a in load_osv(OSV) if a.id == "GHSA-c2qf-rxjj-qqgw")
    assert adv.database_specific["severity"] == "MODERATE"
    sev = advisory_severity(adv)
    assert (sev.severity, sev.score, sev.source) == (Severity.MEDIUM, 5.3, "cvss_v3_computed")
    empty = next(a for a in load_osv(OSV) if a.id == "GHSA-952p-6rrq-rcjv")
    assert advisory_severity(empty).source == "database_specific"
    rust = next(a for a in load_osv(OSV) if a.id == "RUSTSEC-2017-0004")
    assert advisory_severity(rust, rust.affected[0]).severity == Severity.CRITICAL


V4 = {
    "id": "T-V4",
    "severity": [
        {
            "type": "CVSS_V4",
            "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        }
    ],
    "database_specific": {"severity": "HIGH"},
    "affected": [],
}


def test_v4_vector_is_scored_and_beats_the_database_label():
    sev = advisory_severity(advisory_from_osv(V4))
    assert (sev.severity, sev.score, sev.source) == (Severity.CRITICAL, 9.3, "cvss_v4_computed")


def test_real_v4_record_is_scored_from_its_vector():
    """GHSA-25hc-qcg6-38wj (socket.io, github/advisory-database) carries a v3.1 and a v4.0
    vector and the label HIGH; the v4.0 base score (6.9) is what counts."""
    [adv] = load_osv(OSV_MORE / "github-advisory-database" / "GHSA-25hc-qcg6-38wj.json")
    sev = advisory_severity(adv, adv.affected[0])
    assert (sev.severity, sev.score, sev.source) == (Severity.MEDIUM, 6.9, "cvss_v4_computed")
    assert sev.vector is not None and sev.vector.startswith("CVSS:4.0/")
    [finding] = OsvIndex([adv]).match(comp("npm", "socket.io", "4.6.1"))
    assert (finding.severity_source, finding.fixed) == ("cvss_v4_computed", "4.6.2")


def test_every_vector_in_the_osv_fixtures_is_scored():
    """No advisory in the corpus (and the extra real records) falls back to a label when it
    carries a CVSS vector."""
    for adv in load_osv(OSV) + load_osv(OSV_MORE):
        for aff in adv.affected or [None]:
            sev = advisory_severity(adv, aff)
            vectors = [s for s in adv.severity + (aff.severity if aff else [])]
            if any(v.get("type") in ("CVSS_V3", "CVSS_V4") for v in vectors):
                assert sev.source.startswith("cvss_"), (adv.id, sev)
