"""`maestro sbom diff|scan` and `maestro osv stats` on local files; the Proof Card partial."""

from __future__ import annotations

import json
import subprocess

import pytest

from app.cli import main
from app.render import markdown_env
from checks.sbom import delta, diff_manifest, parse_manifest
from sbom.paths import LOCK, OSV

CARGO = LOCK / "cargo/rustsec-rustsec-cargo-audit-fixture-base64_vuln/Cargo.lock"
PIP_OLD = LOCK / "pip/sigstore-gh-action-sigstore-python/cbab91d8551b/main.txt"
PIP_NEW = LOCK / "pip/sigstore-gh-action-sigstore-python/74e004047800/main.txt"


def _json(capsys):
    return json.loads(capsys.readouterr().out)


def test_diff_json(capsys):
    code = main(
        ["sbom", "diff", str(PIP_OLD), str(PIP_NEW), "--format", "json", "--osv-dir", str(OSV)]
    )
    assert code == 0
    doc = _json(capsys)
    [d] = doc["deltas"]
    assert d["upgraded"] == [
        {"name": "sigstore", "ecosystem": "PyPI", "from": "4.4.0", "to": "4.5.0", "line": 743}
    ]
    assert doc["findings"] == [] and doc["criticals"] == 0 and doc["advisories_loaded"] == 22


def test_scan_full_json_findings_and_exit_code(capsys, monkeypatch):
    monkeypatch.setenv("MAESTRO_OSV_DIR", str(OSV))
    code = main(["sbom", "scan", str(CARGO), "--full", "--format", "json"])
    assert code == 1  # a critical advisory blocks
    doc = _json(capsys)
    [f] = doc["findings"]
    assert {k: f[k] for k in ("id", "package", "version", "severity", "fixed", "line")} == {
        "id": "RUSTSEC-2017-0004",
        "package": "base64",
        "version": "0.5.1",
        "severity": "critical",
        "fixed": "0.5.2",
        "line": 4,
    }
    assert doc["criticals"] == 1 and doc["mode"] == "full"


def test_scan_against_git_base(tmp_path, capsys):
    repo = tmp_path / "repo"
    repo.mkdir()
    lock = repo / "Cargo.lock"
    vulnerable = CARGO.read_text()
    lock.write_text(vulnerable.replace('version = "0.5.1"', 'version = "0.5.2"'))
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@e",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@e",
        "PATH": "/usr/bin:/bin",
    }
    for cmd in (["init", "-q"], ["add", "Cargo.lock"], ["commit", "-q", "-m", "base"]):
        subprocess.run(["git", "-C", str(repo), *cmd], check=True, env=env)
    lock.write_text(vulnerable)
    code = main(["sbom", "scan", str(lock), "--osv-dir", str(OSV), "--format", "json"])
    doc = _json(capsys)
    assert code == 1 and doc["mode"] == "differential" and doc["scanned"] == 1
    assert doc["deltas"][0]["downgraded"][0]["to"] == "0.5.1"
    code = main(["sbom", "scan", str(lock), "--osv-dir", str(OSV), "--base", "HEAD", "--full"])
    assert code == 1
    assert "RUSTSEC-2017-0004 base64 0.5.1 (fixed in 0.5.2)" in capsys.readouterr().out


def test_text_output_and_block_high(capsys):
    old = LOCK / "npm/octokit-webhooks/76f8deb2d40c/package-lock.json"
    new = LOCK / "npm/octokit-webhooks/0355b158c05f/package-lock.json"
    assert main(["sbom", "diff", str(old), str(new), "--osv-dir", str(OSV)]) == 0
    out = capsys.readouterr().out
    assert "HIGH 7.5 GHSA-grv7-fg5c-xmjg braces 3.0.2 (fixed in 3.0.3)" in out
    assert main(["sbom", "diff", str(old), str(new), "--osv-dir", str(OSV), "--block-high"]) == 1


def test_without_osv_database_only_the_delta(capsys, monkeypatch):
    monkeypatch.delenv("MAESTRO_OSV_DIR", raising=False)
    assert main(["sbom", "diff", str(PIP_OLD), str(PIP_NEW)]) == 0
    assert "no OSV database" in capsys.readouterr().out


def test_unreadable_inputs(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["sbom", "scan", str(tmp_path / "missing.lock"), "--full"])
    assert exc.value.code == 2
    bad = tmp_path / "poetry.lock"
    bad.write_text('[[package]]\nname = "a\n')
    assert main(["sbom", "scan", str(bad), "--full", "--format", "json"]) == 2
    assert _json(capsys)["problems"][0]["line"] == 2


def test_osv_stats(capsys):
    assert main(["osv", "stats", str(OSV), "--format", "json"]) == 0
    doc = _json(capsys)
    assert doc["advisories"] == 22 and doc["ecosystems"]["crates.io"] == 5


def _render(deltas, findings=(), criticals=0, fold_after=10):
    return (
        markdown_env()
        .get_template("sbom_delta.md.j2")
        .render(
            deltas=deltas,
            findings=list(findings),
            criticals=criticals,
            block_high=False,
            fold_after=fold_after,
        )
    )


def test_partial_renders_table_and_folds_when_long(osv_index):
    from checks.sbom import differential_scan, sbom_criticals

    old = (LOCK / "npm/octokit-webhooks/76f8deb2d40c/package-lock.json").read_bytes()
    new = (LOCK / "npm/octokit-webhooks/64f772e4ee96/package-lock.json").read_bytes()
    d = diff_manifest("package-lock.json", old, new)
    md = _render([d])
    assert "<details><summary>Show 41 changes</summary>" in md
    assert "| ⬆️ upgraded | `semver` | 7.7.4 | 7.8.4 | 1772 |" in md
    assert "No known advisory affects the changed dependencies." in md
    small = _render([diff_manifest("main.txt", PIP_OLD.read_bytes(), PIP_NEW.read_bytes())])
    assert "<details>" not in small and "| ⬆️ upgraded | `sigstore` | 4.4.0 | 4.5.0 | 743 |" in small
    vulnerable = CARGO.read_text()
    report = differential_scan(
        {"Cargo.lock": (vulnerable.replace('version = "0.5.1"', 'version = "0.5.2"'), vulnerable)},
        osv_index,
    )
    md = _render(report.deltas, report.findings, sbom_criticals(report.findings))
    assert "1 of which 1 blocks the merge" not in md
    assert "of which 1 blocks the merge (critical)" in md
    assert "[RUSTSEC-2017-0004](https://osv.dev/vulnerability/RUSTSEC-2017-0004)" in md
    assert "| critical 9.8 |" in md and "| 0.5.2 | `Cargo.lock`:4 |" in md
    assert "No dependency changes" in _render([delta([], [], "x")])
    assert parse_manifest("x", "").problems  # unrelated sanity: empty input is a problem
