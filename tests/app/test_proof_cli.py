"""`maestro proof` on real git repositories made in each test: exit codes, the Markdown and JSON
cards, the policy read at the base ref, evidence from real reports, rules over local facts, and
usage errors."""

from __future__ import annotations

import json
import os
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.render import render_proof_card
from checks.proofcard import ProofCard

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
COVERAGE = FIXTURES / "obligations" / "coverage.xml"  # 4 of the 5 coverable added lines: 0.80
LOCKS = FIXTURES / "sbom" / "lockfiles" / "cargo"
BASE_LOCK = LOCKS / "rustsec-rustsec" / "7fad63bdb0a7" / "Cargo.lock"
VULN_LOCK = LOCKS / "rustsec-rustsec-cargo-audit-fixture-base64_vuln" / "Cargo.lock"
OSV = FIXTURES / "osv"

PRICING_BASE = '''"""Prices."""


def total(prices, discount=0.0):
    subtotal = sum(prices)
    if discount < 0 or discount > 1:
        raise ValueError("discount must be between 0 and 1")
    return round(subtotal * (1 - discount), 2)


def shipping(weight_kg):
    if weight_kg <= 0:
        raise ValueError("weight must be positive")
    if weight_kg < 5:
        return 4
    return 4 + (weight_kg - 5) * 1
'''
# The head commit the coverage fixture was measured on (tests/fixtures/obligations/pr.diff).
PRICING_HEAD = (
    PRICING_BASE.replace(
        "    subtotal = sum(prices)\n", "    subtotal = sum(p for p in prices if p > 0)\n"
    )
    + """

def tax(amount, rate=0.2):
    if amount < 0:
        raise ValueError("negative amount")
    return round(amount * rate, 2)
"""
)


class Repo:
    """A throwaway git repository; commits are dated one minute apart from a fixed instant."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.minute = 0
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        env = {
            **os.environ,
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Alice",
            "GIT_AUTHOR_EMAIL": "alice@example.org",
            "GIT_COMMITTER_NAME": "Alice",
            "GIT_COMMITTER_EMAIL": "alice@example.org",
            "GIT_AUTHOR_DATE": f"2025-03-01T10:{self.minute:02d}:00+00:00",
            "GIT_COMMITTER_DATE": f"2025-03-01T10:{self.minute:02d}:00+00:00",
        }
        done = subprocess.run(
            ["git", "-C", str(self.path), *args], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def commit(self, message: str, files: dict[str, str | bytes | None]) -> str:
        for name, content in files.items():
            target = self.path / name
            if content is None:
                target.unlink()
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        self.minute += 1
        return self.git("rev-parse", "HEAD").strip()


def proof(
    capsys: pytest.CaptureFixture[str], repo: Repo, *args: str, head: str = "feature"
) -> tuple[int, str, str]:
    code = main(["proof", "--repo", str(repo.path), "--base", "main", "--head", head, *args])
    out, err = capsys.readouterr()
    return code, out, err


def card(capsys: pytest.CaptureFixture[str], repo: Repo, *args: str, **kw: Any) -> dict[str, Any]:
    code, out, _ = proof(capsys, repo, "--format", "json", *args, **kw)
    data: dict[str, Any] = json.loads(out)
    data["exit"] = code
    return data


def by_key(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["key"]: r for r in data["results"]}


@pytest.fixture(autouse=True)
def _no_osv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No advisory index unless a test gives one: no MAESTRO_OSV_DIR, no app database, no .env."""
    monkeypatch.delenv("MAESTRO_OSV_DIR", raising=False)
    monkeypatch.setenv("MAESTRO_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/absent.db")
    monkeypatch.chdir(tmp_path)


def pricing_repo(tmp_path: Path, policy: str | None = None, head_policy: str | None = None) -> Repo:
    repo = Repo(tmp_path / "shop")
    base: dict[str, str | bytes | None] = {
        "src/shop/__init__.py": "",
        "src/shop/pricing.py": PRICING_BASE,
    }
    if policy is not None:
        base[".github/maestro.yml"] = policy
    repo.commit("pricing", base)
    repo.git("checkout", "-q", "-b", "feature")
    head: dict[str, str | bytes | None] = {"src/shop/pricing.py": PRICING_HEAD}
    if head_policy is not None:
        head[".github/maestro.yml"] = head_policy
    repo.commit("tax", head)
    return repo


def test_patch_coverage_below_the_threshold_blocks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = pricing_repo(tmp_path)
    code, out, err = proof(capsys, repo, "--coverage", str(COVERAGE), "--format", "markdown")
    assert code == 1, err
    assert out.startswith("### Maestro Proof Card · `")
    assert "| ❌ failed | Spec coverage | ≥ 0.90 | 0.80 | " in out
    assert "(cobertura) × git diff main...feature | Spec coverage 0.80 is below the required" in out
    assert "**What blocks the merge**" in out
    assert "### Decision Card: risk" in out
    assert "the default policy (`main` has no `.github/maestro.yml`)" in out

    data = card(capsys, repo, "--coverage", str(COVERAGE))
    assert data["exit"] == 1 and data["conclusion"] == "failure"
    # the Markdown is the check-run summary of the very card the JSON describes
    assert render_proof_card(ProofCard.model_validate(data)) == (data["title"], out)
    cov = by_key(data)["specCoverage"]
    assert (cov["status"], cov["actual"], cov["required"]) == ("failed", 0.8, 0.9)
    assert cov["source"].endswith("(cobertura) × git diff main...feature")
    assert data["head_sha"] == repo.git("rev-parse", "feature").strip()
    assert data["files_changed"] == 1 and data["lines_added"] == 7


def test_a_change_meeting_the_base_policy_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = (
        "thresholds: {specCoverage: 0.75}\n"
        "required: [specCoverage, riskCap, sbomCriticals, piiFindings]\n"
    )
    repo = pricing_repo(tmp_path, policy=policy)
    data = card(capsys, repo, "--coverage", str(COVERAGE))
    assert data["exit"] == 0 and data["conclusion"] == "success", data["title"]
    results = by_key(data)
    assert [results[k]["status"] for k in ("specCoverage", "riskCap", "sbomCriticals")] == [
        "passed"
    ] * 3
    assert results["piiFindings"]["actual"] == 0
    assert results["riskCap"]["source"] == "blast radius on the code graph"
    assert "decision" in data["sections"] and "local" in data["sections"]


def test_the_policy_comes_from_the_base_ref_so_a_head_cannot_loosen_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    strict = "thresholds: {specCoverage: 0.9}\nrequired: [specCoverage]\n"
    loose = "thresholds: {specCoverage: 0.5}\nrequired: [specCoverage]\n"
    repo = pricing_repo(tmp_path, policy=strict, head_policy=loose)
    data = card(capsys, repo, "--coverage", str(COVERAGE))
    assert data["exit"] == 1
    assert by_key(data)["specCoverage"]["required"] == 0.9
    assert "`.github/maestro.yml` as it is at `main`" in data["sections"]["local"]


def test_an_invalid_policy_at_the_base_fails_quoting_file_line_and_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = pricing_repo(tmp_path, policy="version: 1\nthresholds:\n  mutationScore: 1.5\n")
    code, out, _ = proof(capsys, repo, "--format", "markdown")
    assert code == 1
    assert ".github/maestro.yml:3:18: thresholds.mutationScore:" in out
    assert "mutationScore: 1.5" in out
    code, out, _ = proof(capsys, repo)
    assert code == 1 and "line 3, column 18: thresholds.mutationScore" in " ".join(out.split())


def test_missing_evidence_is_pending_and_blocks_only_under_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = pricing_repo(tmp_path)
    data = card(capsys, repo)
    assert data["exit"] == 0 and data["conclusion"] == "neutral"
    results = by_key(data)
    for key in ("specCoverage", "mutationScore", "perfP95BudgetMs"):
        assert (results[key]["status"], results[key]["reason"]) == ("pending", "no_report")
    assert card(capsys, repo, "--strict")["exit"] == 1


def test_evidence_from_an_obligations_json_and_an_artifact_zip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = pricing_repo(tmp_path, policy="required: [mutationScore, perfP95BudgetMs]\n")
    doc = tmp_path / "obligations.json"
    doc.write_text(json.dumps({"version": 1, "mutationScore": 0.82, "perfP95BudgetMs": 12.5}))
    data = card(capsys, repo, "--evidence", str(doc))
    assert data["exit"] == 0 and data["conclusion"] == "success"
    assert by_key(data)["mutationScore"]["actual"] == 0.82

    artifact = tmp_path / "maestro-evidence.zip"
    with zipfile.ZipFile(artifact, "w") as z:
        z.write(FIXTURES / "obligations" / "mutmut-cicd-stats.json", "mutants/stats.json")
        z.write(FIXTURES / "obligations" / "pytest-benchmark-data.json", "bench.json")
    data = card(capsys, repo, "--evidence", str(artifact))
    results = by_key(data)
    assert results["mutationScore"]["source"].startswith(f"{artifact}/mutants/stats.json")
    assert results["perfP95BudgetMs"]["status"] == "passed"


def test_an_invariant_over_the_changed_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = (
        "required: [invariants]\n"
        "invariants:\n"
        '  changelog: changed("api/**") => changed("CHANGELOG.md")\n'
    )
    repo = Repo(tmp_path / "svc")
    repo.commit("base", {".github/maestro.yml": policy, "api/routes.py": "ROUTES = []\n"})
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("route", {"api/routes.py": "ROUTES = ['/health']\n"})
    code, out, _ = proof(capsys, repo, "--format", "markdown")
    assert code == 1
    assert 'changelog does not hold: changed("api/**") => changed("CHANGELOG.md")' in out
    assert "api/routes.py" in out

    repo.commit("changelog", {"CHANGELOG.md": "- /health\n"})
    data = card(capsys, repo)
    assert data["exit"] == 0 and by_key(data)["invariants.changelog"]["status"] == "passed"


def test_reverts_in_the_range_feed_the_cep_guards(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = (
        'required: [cepGuards]\ncep_guards:\n  revert-storm: max_same_path("revert", 24h) < 2\n'
    )
    repo = Repo(tmp_path / "svc")
    repo.commit("base", {".github/maestro.yml": policy, "api/routes.py": "ROUTES = []\n"})
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("try 1", {"api/routes.py": "ROUTES = [1]\n", "notes.txt": "x\n"})
    repo.git("revert", "--no-edit", "HEAD")
    repo.commit("try 2", {"api/routes.py": "ROUTES = [2]\n"})
    assert card(capsys, repo)["exit"] == 0  # one revert so far
    repo.git("revert", "--no-edit", "HEAD")
    data = card(capsys, repo)
    guard = by_key(data)["cepGuards.revert-storm"]
    assert data["exit"] == 1 and guard["status"] == "failed"
    assert guard["facts"][0] == "api/routes.py"
    assert sum("revert" in fact for fact in guard["facts"]) == 2
    assert "2 reverts" in data["sections"]["local"]


def test_rules_needing_approvals_say_a_local_checkout_cannot_know_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = (
        "required: [invariants]\n"
        "invariants:\n"
        '  dba: changed("migrations/**") => approved_by_team("@org/dba")\n'
        "  small: lines_changed() < 400\n"
    )
    repo = Repo(tmp_path / "db")
    repo.commit("base", {".github/maestro.yml": policy, "README.md": "db\n"})
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("migration", {"migrations/0001.sql": "create table t (id int);\n"})
    code, out, _ = proof(capsys, repo, "--format", "markdown")
    assert code == 1
    assert "A local checkout has no approvals" in out
    assert "- `invariants.dba` uses `approved_by_team()`" in out
    assert "invariants.small" not in out.split("A local checkout has no approvals")[1]


def test_a_secret_on_an_added_line_fails_pii(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = "AKIA" + "Q3EGRTMZ7NBXW4PL"
    repo = Repo(tmp_path / "app")
    repo.commit("base", {".github/maestro.yml": "required: [piiFindings]\n", "cfg.py": "A = 1\n"})
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("key", {"cfg.py": f'A = 1\nAWS_ACCESS_KEY_ID = "{key}"\n'})
    code, out, _ = proof(capsys, repo, "--format", "markdown")
    assert code == 1
    assert "| ❌ failed | PII findings | ≤ 0 | 1 |" in out
    assert "| `cfg.py` | 2 |" in out
    assert key not in out  # only masked excerpts


def _lock_repo(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "crate")
    repo.commit(
        "base",
        {
            ".github/maestro.yml": "required: [sbomCriticals]\n",
            "Cargo.lock": BASE_LOCK.read_bytes(),
        },
    )
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("deps", {"Cargo.lock": VULN_LOCK.read_bytes()})
    return repo


def test_sbom_criticals_from_an_offline_osv_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _lock_repo(tmp_path)
    code, out, _ = proof(capsys, repo, "--format", "markdown", "--osv-dir", str(OSV))
    assert code == 1
    assert "SBOM criticals 1 is above the limit of 0" in out
    assert "RUSTSEC-2017-0004" in out
    assert f"OSV advisories from `{OSV}`" in out

    data = card(capsys, repo)  # no index anywhere: pending, never a pass
    assert data["exit"] == 0 and by_key(data)["sbomCriticals"]["status"] == "pending"
    assert "pass `--osv-dir PATH`" in data["sections"]["sbom"]


def test_sbom_criticals_from_the_index_in_the_apps_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAESTRO_DATABASE_URL", db_url)
    assert main(["osv", "import", str(OSV)]) == 0
    repo = _lock_repo(tmp_path)
    capsys.readouterr()
    data = card(capsys, repo)
    assert data["exit"] == 1 and by_key(data)["sbomCriticals"]["actual"] == 1
    assert "imported into Maestro's database" in data["sections"]["local"]


def test_the_terminal_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "160")  # not a terminal: rich falls back to plain text
    repo = pricing_repo(tmp_path)
    code, out, _ = proof(capsys, repo, "--coverage", str(COVERAGE))
    assert code == 1
    # piiFindings is one of the default obligations (no PII in this change: it passes).
    assert "failure: 1 of 6 obligations failed, 2 awaiting evidence" in out
    assert "What blocks the merge" in out and "Waiting for evidence" in out
    assert "Decision Card: risk" in out
    assert "<details>" not in out and "\x1b[" not in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base", "no-such-branch"], "base ref 'no-such-branch' is not a commit"),
        (["--base", "main", "--head", "nope"], "head ref 'nope' is not a commit"),
        (["--base", "main", "--coverage", "missing.xml"], "cannot read evidence missing.xml"),
        (["--base", "main", "--osv-dir", "no/such/dir"], "OSV path no/such/dir does not exist"),
    ],
)
def test_usage_errors_exit_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    repo = _lock_repo(tmp_path)
    code = main(["proof", "--repo", str(repo.path), *args])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.startswith("maestro proof: ") and message in err
    assert "Traceback" not in err


def test_not_a_git_repository_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "plain").mkdir()
    assert main(["proof", "--repo", str(tmp_path / "plain"), "--base", "main"]) == 2
    assert "is not a git repository" in capsys.readouterr().err


def test_unrelated_histories_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = Repo(tmp_path / "r")
    repo.commit("one", {"a.txt": "a\n"})
    repo.git("checkout", "-q", "--orphan", "other")
    repo.commit("two", {"b.txt": "b\n"})
    assert main(["proof", "--repo", str(repo.path), "--base", "main", "--head", "other"]) == 2
    assert "have no common ancestor" in capsys.readouterr().err


def test_requirements_found_by_content_as_in_a_pull_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`requirements/common.txt` has no manifest name: the pull-request path reads it because
    its added line is a requirement, and `maestro proof` now does the same."""
    repo = Repo(tmp_path / "svc")
    repo.commit(
        "base",
        {
            ".github/maestro.yml": "required: [sbomCriticals]\n",
            "requirements/main.txt": "-r common.txt\nflask==2.3.0\n",
            "requirements/common.txt": "requests==2.31.0\n",
        },
    )
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("downgrade", {"requirements/common.txt": "requests==2.30.0\n"})
    code, out, _ = proof(capsys, repo, "--format", "markdown", "--osv-dir", str(OSV))
    assert code == 0, out  # a medium advisory is reported, not counted as critical
    assert "no dependency manifest changed" not in out, out
    assert "requirements/common.txt" in out and "PYSEC-2023-74" in out, out
