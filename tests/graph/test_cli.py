"""`maestro affected`, `maestro blast` and `maestro graph stats` on a real git repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from app.cli import main

MONOREPO = Path(__file__).resolve().parents[1] / "fixtures" / "graph" / "monorepo"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_SYSTEM": os.devnull,
}


def git(repo: Path, *args: str, date: str = "2026-11-01T12:00:00") -> None:
    env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, capture_output=True)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mono")
    shutil.copytree(MONOREPO, root, dirs_exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    (root / "src/acme/billing/tax.py").write_text(
        (root / "src/acme/billing/tax.py").read_text() + "\nROUNDING = 'half-even'\n"
    )
    (root / "web/src/lib/types.ts").unlink()
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "head", date="2026-11-20T12:00:00")
    # Uncommitted work-tree edits must not leak into the analysis.
    (root / "gateway/internal/auth/token.go").write_text("package auth\n")
    return root


def test_affected_prints_an_actions_matrix(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["affected", "--base", "HEAD~1", "--head", "HEAD", "--repo", str(repo)]) == 0
    matrix = json.loads(capsys.readouterr().out)
    assert [e["id"] for e in matrix["include"]] == [
        "nix#billing-service",
        "image#billing",
        "image#web",
        "test#billing-tests",
        "test#web-unit",
    ]
    web = next(e for e in matrix["include"] if e["id"] == "image#web")
    assert (web["reason"], web["trigger"], web["arch"]) == (
        "sources_changed",
        "web/src/lib/types.ts",
        "amd64",
    )


def test_affected_diffs_from_the_merge_base_on_a_diverged_branch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(MONOREPO, tmp_path, dirs_exist_ok=True)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "base")
    git(tmp_path, "checkout", "-q", "-b", "feature")
    search = tmp_path / "src/acme/search/index.py"
    search.write_text(search.read_text() + "\nSTOP_WORDS = ('a', 'the')\n")
    git(tmp_path, "commit", "-q", "-am", "feature work")
    git(tmp_path, "checkout", "-q", "main")
    (tmp_path / "gateway/internal/auth/token.go").write_text("package auth\n\nconst X = 1\n")
    git(tmp_path, "commit", "-q", "-am", "main moved on")
    args = ["affected", "--base", "main", "--head", "feature", "--repo", str(tmp_path)]
    assert main(args) == 0
    matrix = json.loads(capsys.readouterr().out)
    # main's own gateway change is not the branch's: only search's test job is affected.
    assert [(e["id"], e["trigger"]) for e in matrix["include"]] == [
        ("test#search-tests", "src/acme/search/index.py")
    ]
    assert main(["blast", "--base", "main", "--head", "feature", "--repo", str(tmp_path),
                 "--format", "json"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["changed"] == ["src/acme/search/index.py"]


def test_unrelated_histories_fall_back_to_the_base(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.py").write_text("")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "one")
    git(tmp_path, "checkout", "-q", "--orphan", "other")
    (tmp_path / "b.py").write_text("import a\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "two")
    assert main(["blast", "--base", "main", "--head", "other", "--repo", str(tmp_path),
                 "--format", "json"]) == 0  # fmt: skip
    captured = capsys.readouterr()
    assert "share no history; comparing them directly" in captured.err
    assert json.loads(captured.out)["changed"] == ["b.py"]


def test_blast_markdown_and_json(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["blast", "--base", "HEAD~1", "--repo", str(repo)]
    assert main(args) == 0
    md = capsys.readouterr().out
    assert md.startswith("### Decision Card: risk ")
    assert "(evaluated on 2026-11-20)" in md  # head commit date, not the wall clock
    assert "`web/src/lib/types.ts` ← imported by `web/src/app.tsx`" in md  # deleted file

    assert main([*args, "--format", "json", "--today", "2026-11-01", "--depth", "1"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["evaluated_on"] == "2026-11-01" and card["depth_limit"] == 1
    assert card["changed"] == ["src/acme/billing/tax.py", "web/src/lib/types.ts"]
    assert [i["id"] for i in card["incidents"]] == ["INC-42"]


def test_graph_stats(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", "stats", "--repo", str(repo), "--ref", "HEAD~1"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["files"] == 48
    assert stats["nodes"]["service"] == 5 and stats["edges"]["imports"] > 20
    cov = stats["coverage"]
    assert (cov["code_files"], cov["tested"], cov["tested_directly"]) == (20, 20, 16)
    assert cov["tested_share"] == cov["owned_share"] == cov["service_share"] == 1.0
    assert cov["untested"] == cov["unowned"] == cov["unserviced"] == []


def test_bad_ref_exits_2_with_gits_message(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["affected", "--base", "no-such-ref", "--repo", str(repo)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("maestro: ") and "no-such-ref" in err
    assert "Traceback" not in err


def test_malformed_config_is_reported_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".github/maestro").mkdir(parents=True)
    (tmp_path / "a.py").write_text("import b\n")
    (tmp_path / "b.py").write_text("")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "base")
    (tmp_path / ".github/maestro/services.yml").write_text(
        "services:\n  - name: core\n    paths: [a.py]\n    criticality: extreme\n"
    )
    (tmp_path / "b.py").write_text("def broken(:\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "head")
    assert main(["blast", "--base", "HEAD~1", "--repo", str(tmp_path), "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert "maestro: .github/maestro/services.yml:4: services_invalid" in captured.err
    assert "maestro: b.py:1: python_syntax_error" in captured.err
    assert json.loads(captured.out)["changed"] == [".github/maestro/services.yml", "b.py"]
