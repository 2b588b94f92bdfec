"""`maestro pii scan` and `maestro pii train --help`: exit codes, JSON shape, diff mode on git."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from app.cli import main

AWS = "AKIA" + "Z3MSJV7WQXB2LKPA"
EMAIL = "jane.doe" + "@acme-corp.com"
FIXTURES = Path(__file__).parent.parent / "fixtures" / "pii"


def test_scan_file_json_and_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "settings.py"
    src.write_text(f'AWS_ACCESS_KEY_ID = "{AWS}"\nOWNER = "{EMAIL}"\n')
    code = main(["pii", "scan", str(src), "--format", "json"])
    out = capsys.readouterr().out
    assert code == 1
    findings = json.loads(out)
    assert {(f["type"], f["line"]) for f in findings} == {("aws_access_key", 1), ("email", 2)}
    for f in findings:
        assert {"path", "line", "type", "score", "excerpt", "blocking", "redaction"} <= set(f)
    assert AWS not in out and EMAIL not in out


def test_scan_directory_of_lockfiles_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("package-lock.json", "go.sum", "Cargo.lock"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    (tmp_path / "logo.bin").write_bytes(b"\0\1\2" * 10)
    assert main(["pii", "scan", str(tmp_path)]) == 0
    assert "0 finding(s), 0 blocking" in capsys.readouterr().out


def test_allow_path_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "team.md").write_text(f"Contact {EMAIL}\n")
    assert main(["pii", "scan", str(docs), "--allow-path", "**/docs/*.md"]) == 0
    assert "allowed by path_glob: **/docs/*.md" in capsys.readouterr().out


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pii", "scan"]) == 2
    assert main(["pii", "scan", str(tmp_path / "missing")]) == 2
    assert main(["pii", "scan", "--diff", "HEAD"]) == 2
    err = capsys.readouterr().err
    assert "no such file" in err and "BASE..HEAD" in err


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_diff_mode_scans_only_added_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    git("config", "user.email", "dev@example.com")
    git("config", "user.name", "dev")
    (tmp_path / "app.py").write_text(f'OLD_OWNER = "{EMAIL}"\n')
    git("add", ".")
    git("commit", "-qm", "base")
    (tmp_path / "app.py").write_text(
        f'OLD_OWNER = "{EMAIL}"\nx = 1\nAWS_ACCESS_KEY_ID = "{AWS}"\n'
        'REQUEST_ID = "550e8400-e29b-41d4-a716-446655440000"\n'
    )
    git("commit", "-qam", "head")
    code = main(
        ["pii", "scan", "--diff", "HEAD~1..HEAD", "--repo", str(tmp_path), "--format", "json"]
    )
    findings = json.loads(capsys.readouterr().out)
    assert code == 1
    assert [(f["path"], f["line"], f["type"]) for f in findings] == [
        ("app.py", 3, "aws_access_key")
    ]
    assert main(["pii", "scan", "--diff", "nope..HEAD", "--repo", str(tmp_path)]) == 2
    assert "git diff nope..HEAD failed" in capsys.readouterr().err


def test_train_has_a_model_only_mode(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["pii", "train", "--help"])
    assert "--model-only" in capsys.readouterr().out


POLICY = "pii:\n  allow_paths: ['tests/fixtures/**']\n"


def _repo_with_fixture(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)  # the root marker; no git needed for a PATH scan
    (repo / ".github").mkdir()
    (repo / ".github" / "maestro.yml").write_text(POLICY)
    (repo / "tests" / "fixtures").mkdir(parents=True)
    (repo / "tests" / "fixtures" / "users.json").write_text(f'{{"email": "{EMAIL}"}}\n')
    (repo / "src").mkdir()
    (repo / "src" / "app.py").write_text(f'OWNER = "{EMAIL}"\n')
    return repo


def test_scan_applies_the_repositorys_policy_allow_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repo_with_fixture(tmp_path)
    monkeypatch.chdir(tmp_path)  # globs match repository-relative paths, wherever we run from
    assert main(["pii", "scan", str(repo / "tests")]) == 0
    out = capsys.readouterr().out
    assert "allowed by path_glob: tests/fixtures/**" in out
    assert f"policy {repo / '.github' / 'maestro.yml'}" in out
    # The policy allows the fixtures only: code still blocks.
    assert main(["pii", "scan", str(repo), "--format", "json"]) == 1
    findings = json.loads(capsys.readouterr().out)
    assert sorted((Path(f["path"]).name, f["blocking"]) for f in findings) == [
        ("app.py", True),
        ("users.json", False),
    ]


def test_scan_with_an_explicit_policy_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo_with_fixture(tmp_path)
    (repo / ".github" / "maestro.yml").unlink()
    assert main(["pii", "scan", str(repo / "tests")]) == 1  # no policy: the fixture blocks
    other = tmp_path / "strict.yml"
    other.write_text(POLICY)
    assert main(["pii", "scan", str(repo / "tests"), "--policy", str(other)]) == 0
    assert "allowed by path_glob: tests/fixtures/**" in capsys.readouterr().out
    other.write_text("pii:\n  allow_path: []\n")  # a typo is an error, not a silent no-op
    assert main(["pii", "scan", str(repo / "tests"), "--policy", str(other)]) == 2
    assert "invalid policy" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_diff_mode_reads_the_policy_at_base(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    git("config", "user.email", "dev@example.com")
    git("config", "user.name", "dev")
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "maestro.yml").write_text(POLICY)
    (tmp_path / "README.md").write_text("demo\n")
    git("add", ".")
    git("commit", "-qm", "base")
    (tmp_path / "tests" / "fixtures").mkdir(parents=True)
    (tmp_path / "tests" / "fixtures" / "users.json").write_text(f'{{"email": "{EMAIL}"}}\n')
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "team.md").write_text(f"Owner: {EMAIL}\n")
    # The change also tries to allow-list docs/: the policy at BASE is the one that counts.
    (tmp_path / ".github" / "maestro.yml").write_text(
        "pii:\n  allow_paths: ['tests/fixtures/**', 'docs/**']\n"
    )
    git("add", ".")
    git("commit", "-qm", "head")
    args = ["pii", "scan", "--diff", "HEAD~1..HEAD", "--repo", str(tmp_path), "--format", "json"]
    assert main(args) == 1
    findings = json.loads(capsys.readouterr().out)
    assert sorted((f["path"], f["blocking"]) for f in findings) == [
        ("docs/team.md", True),
        ("tests/fixtures/users.json", False),
    ]
