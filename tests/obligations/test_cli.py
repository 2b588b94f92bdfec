"""`maestro evidence` on a real temporary git repository made in the test."""

import json
import subprocess
from pathlib import Path

import pytest

from app.cli import main

FIXTURES = Path(__file__).parents[1] / "fixtures" / "obligations"


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=T", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The fixtures' pricing module: base commit, then the head commit of pr.diff."""
    root = tmp_path / "repo"
    (root / "src" / "shop").mkdir(parents=True)
    _git(root, "init", "-q")
    base = FIXTURES / "pr.diff"
    pricing = root / "src" / "shop" / "pricing.py"
    lines = [
        '"""Tiny pricing module used to generate real coverage and mutation reports."""',
        "",
        "",
        "def total(prices, discount=0.0):",
        "    subtotal = sum(prices)",
        "    if discount < 0 or discount > 1:",
        '        raise ValueError("discount must be between 0 and 1")',
        "    return round(subtotal * (1 - discount), 2)",
        "",
        "",
        "def shipping(weight_kg):",
        "    if weight_kg <= 0:",
        "        return 0",
        "    if weight_kg < 5:",
        "        return 4",
        "    return 4 + (weight_kg - 5) * 1",
    ]
    pricing.write_text("\n".join(lines) + "\n")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    lines[4] = "    subtotal = sum(p for p in prices if p > 0)"
    lines += [
        "",
        "",
        "def tax(amount, rate=0.2):",
        "    if amount < 0:",
        '        raise ValueError("negative amount")',
        "    return round(amount * rate, 2)",
    ]
    pricing.write_text("\n".join(lines) + "\n")
    _git(root, "commit", "-q", "-am", "head")
    assert base.exists()
    return root


def test_builds_the_obligations_json_from_a_git_range(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "evidence.json"
    code = main(
        [
            "evidence",
            "--repo",
            str(repo),
            "--diff",
            "HEAD~1..HEAD",
            "--coverage",
            str(FIXTURES / "coverage.xml"),
            "--mutation",
            str(FIXTURES / "mutmut-cicd-stats.json"),
            "--benchmark",
            str(FIXTURES / "pytest-benchmark-data.json"),
            "--invariant",
            "migrations-need-dba",
            "-o",
            str(out),
        ]
    )
    assert code == 0
    doc = json.loads(out.read_text())
    assert doc["specCoverage"] == 0.8
    assert doc["mutationScore"] == pytest.approx(0.3333)
    assert doc["commit"] == _git(repo, "rev-parse", "HEAD")
    assert doc["invariants"] == ["migrations-need-dba"]
    assert "git diff HEAD~1..HEAD" in doc["sources"]["specCoverage"]
    assert "specCoverage: 0.8 from" in capsys.readouterr().err


def test_policy_check_says_what_would_fail(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "maestro.yml"
    policy.write_text("thresholds:\n  mutationScore: 0.3\n")
    args = [
        "evidence",
        "--repo",
        str(repo),
        "--diff",
        "HEAD~1..HEAD",
        "--coverage",
        str(FIXTURES / "lcov.info"),
        "--mutation",
        str(FIXTURES / "mutmut-cicd-stats.json"),
        "--policy",
        str(policy),
        "-o",
        str(tmp_path / "e.json"),
    ]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "would fail: Spec coverage 0.80 is below the required 0.90" in err
    assert "Mutation score" not in err.split("would fail:", 1)[1]
    policy.write_text("thresholds:\n  specCoverage: 0.75\n  mutationScore: 0.3\n")
    assert main(args) == 0
    policy.write_text("thresholds:\n  specCoverage: 2\n")
    assert main(args) == 1
    assert f"{policy}:2:17: thresholds.specCoverage:" in capsys.readouterr().err


def test_malformed_report_and_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "coverage.xml"
    bad.write_text("<coverage>\n<packages>\n</coverage>\n")
    assert (
        main(
            [
                "evidence",
                "--coverage",
                str(bad),
                "--diff-file",
                str(FIXTURES / "pr.diff"),
                "-o",
                str(tmp_path / "e.json"),
            ]
        )
        == 1
    )
    assert f"{bad}:3:3: malformed XML (mismatched tag)" in capsys.readouterr().err
    assert main(["evidence", "--coverage", str(tmp_path / "missing.xml")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["evidence"]) == 2
    assert (
        main(["evidence", "--coverage", str(bad), "--repo", str(tmp_path), "--diff", "nope..nada"])
        == 2
    )
    assert "git diff" in capsys.readouterr().err
