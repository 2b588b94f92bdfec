"""`maestro sbom` on sets of files: `-r` includes on both sides of a diff, several files and
directories for `scan`, and the manifests next to a lockfile."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from app.cli import main
from sbom.paths import GEN, LOCK, OSV

CARGO = LOCK / "cargo/rustsec-rustsec-cargo-audit-fixture-base64_vuln/Cargo.lock"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@e",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@e",
    "PATH": "/usr/bin:/bin",
}


def _json(capsys):
    return json.loads(capsys.readouterr().out)


def _write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, env=GIT_ENV)


def test_diff_reads_includes_of_each_side_next_to_that_side(tmp_path, capsys):
    old, new = tmp_path / "old", tmp_path / "new"
    _write(old, {"requirements.txt": "-r common.txt\n", "common.txt": "idna==3.6\nsix==1.15\n"})
    _write(new, {"requirements.txt": "-r common.txt\n", "common.txt": "idna==3.6\nsix==1.16\n"})
    code = main(
        [
            "sbom",
            "diff",
            str(old / "requirements.txt"),
            str(new / "requirements.txt"),
            "--format",
            "json",
            "--osv-dir",
            str(OSV),
        ]
    )
    doc = _json(capsys)
    [d] = doc["deltas"]
    assert d["added"] == [] and d["removed"] == []
    assert [(u["name"], u["from"], u["to"]) for u in d["upgraded"]] == [("six", "1.15", "1.16")]
    assert doc["problems"] == [] and code == 0
    # idna 3.6 is affected by PYSEC-2024-60 but did not change: nothing is reported
    assert doc["findings"] == []


def test_diff_reports_an_unreadable_include_of_the_old_side(tmp_path, capsys):
    old, new = tmp_path / "old", tmp_path / "new"
    _write(old, {"requirements.txt": "-r common.txt\n"})
    _write(new, {"requirements.txt": "-r common.txt\n", "common.txt": "idna==3.6\n"})
    args = ["sbom", "diff", str(old / "requirements.txt"), str(new / "requirements.txt")]
    code = main([*args, "--format", "json"])
    doc = _json(capsys)
    assert code == 2
    [problem] = doc["problems"]
    assert problem["side"] == "base" and "common.txt could not be read" in problem["message"]


def test_scan_takes_several_files_and_directories_with_full(tmp_path, capsys):
    project = tmp_path / "project"
    (project / "rust").mkdir(parents=True)
    shutil.copy(CARGO, project / "rust" / "Cargo.lock")
    _write(
        project,
        {
            "requirements/main.txt": "-r common.txt\nrequests==2.30.0\n",
            "requirements/common.txt": "idna==3.6\n",
            "node_modules/x/requirements.txt": "urllib3==2.0.6\n",  # never searched
            "notes.txt": "Remember to bump idna==3.6 before release\n",
        },
    )
    pnpm = project / "web" / "pnpm-lock.yaml"
    pnpm.parent.mkdir()
    shutil.copy(GEN / "pnpm-v5/pnpm-lock.yaml", pnpm)
    args = ["sbom", "scan", str(project), str(pnpm), "--full", "--format", "json"]
    code = main([*args, "--osv-dir", str(OSV)])
    doc = _json(capsys)
    assert code == 1 and doc["mode"] == "full"
    got = {(f["id"], f["package"], f["version"], Path(f["file"]).name) for f in doc["findings"]}
    assert got == {
        ("RUSTSEC-2017-0004", "base64", "0.5.1", "Cargo.lock"),
        ("PYSEC-2023-74", "requests", "2.30.0", "main.txt"),
        ("GHSA-9wx4-h78v-vm56", "requests", "2.30.0", "main.txt"),
        ("PYSEC-2024-60", "idna", "3.6", "common.txt"),
        ("GHSA-c2qf-rxjj-qqgw", "semver", "7.3.7", "pnpm-lock.yaml"),
        ("GHSA-952p-6rrq-rcjv", "micromatch", "4.0.5", "pnpm-lock.yaml"),
    }
    assert doc["problems"] == []


def test_scan_of_a_repository_sees_a_change_made_only_in_an_included_file(tmp_path, capsys):
    repo = tmp_path / "repo"
    _write(repo, {"requirements.txt": "-r common.txt\nsix==1.16\n", "common.txt": "idna==3.7\n"})
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    (repo / "common.txt").write_text("idna==3.6\n")
    code = main(["sbom", "scan", str(repo), "--format", "json", "--osv-dir", str(OSV)])
    doc = _json(capsys)
    assert code == 0  # PYSEC-2024-60 is not critical
    [d] = doc["deltas"]  # common.txt is scanned through requirements.txt, not twice
    assert Path(d["manifest"]).name == "requirements.txt"
    assert [(u["name"], u["from"], u["to"]) for u in d["downgraded"]] == [("idna", "3.7", "3.6")]
    [f] = doc["findings"]
    assert (f["id"], Path(f["file"]).name, f["line"]) == ("PYSEC-2024-60", "common.txt", 1)


def test_pipfile_next_to_the_lock_tells_direct_from_transitive(tmp_path, capsys):
    shutil.copy(GEN / "pipenv" / "Pipfile", tmp_path / "Pipfile")
    text = (GEN / "pipenv" / "Pipfile.lock").read_text()
    assert '"version": "==2.8.0"' in text  # urllib3; 2.0.6 is affected by PYSEC-2023-212
    (tmp_path / "Pipfile.lock").write_text(text.replace("==2.8.0", "==2.0.6"))
    lock = str(tmp_path / "Pipfile.lock")
    main(["sbom", "scan", lock, "--full", "--format", "json", "--osv-dir", str(OSV)])
    flags = [f["direct"] for f in _json(capsys)["findings"] if f["package"] == "urllib3"]
    assert flags and set(flags) == {False}  # requests' dependency, not in the Pipfile
    (tmp_path / "Pipfile").unlink()
    main(["sbom", "scan", lock, "--full", "--format", "json", "--osv-dir", str(OSV)])
    flags = [f["direct"] for f in _json(capsys)["findings"] if f["package"] == "urllib3"]
    assert flags and set(flags) == {None}


def test_scan_of_nothing_found(tmp_path, capsys):
    (tmp_path / "README.txt").write_text("Nothing to see here.\n")
    assert main(["sbom", "scan", str(tmp_path), "--full"]) == 2
    assert "no lockfile" in capsys.readouterr().err
