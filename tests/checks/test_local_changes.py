"""The pure pieces behind `maestro proof`: a git diff as GitHub's per-file changes, reverts from
commit messages, and which rules read facts a local checkout does not have."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checks.changes import GitDiffError, changes_from_git, parse_name_status
from checks.rules.local import Commit, is_revert, local_gaps, revert_events


def test_name_status_with_renames_and_copies() -> None:
    z = "M\0a.py\0R087\0old name.py\0new name.py\0A\0b\tc.txt\0C100\0x\0y\0D\0gone\0"
    assert parse_name_status(z) == [
        ("M", "a.py", None),
        ("R", "new name.py", "old name.py"),
        ("A", "b\tc.txt", None),
        ("C", "y", "x"),
        ("D", "gone", None),
    ]
    with pytest.raises(GitDiffError):
        parse_name_status("R100\0only-one\0")


def _git(repo: Path, *args: str) -> str:
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "PATH": "/usr/bin:/bin"}
    ident = ["-c", "user.name=A", "-c", "user.email=a@example.org"]
    done = subprocess.run(
        ["git", "-C", str(repo), *ident, *args], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_real_git_diff_becomes_github_style_file_changes(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "keep.py").write_text("a = 1\nb = 2\n")
    (tmp_path / "old.py").write_text("".join(f"line {i}\n" for i in range(20)))
    (tmp_path / "gone.txt").write_text("bye\n")
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\0\0\0")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "base")
    (tmp_path / "keep.py").write_text("a = 1\n+++ b = 3\n--- c\n")
    (tmp_path / "old.py").rename(tmp_path / "new.py")
    (tmp_path / "gone.txt").unlink()
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\0\0\1")
    (tmp_path / "added.md").write_text("diff --git a/x b/x\n")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "head")
    opts = ["-M", "--no-color", "--no-ext-diff", "HEAD~1", "HEAD"]
    changes = changes_from_git(
        _git(tmp_path, "diff", "--name-status", "-z", *opts), _git(tmp_path, "diff", *opts)
    )
    got = {c.filename: c for c in changes}
    assert sorted(got) == ["added.md", "gone.txt", "keep.py", "logo.png", "new.py"]
    assert got["new.py"].status == "renamed" and got["new.py"].previous_filename == "old.py"
    assert got["new.py"].patch is None and got["new.py"].additions == 0
    assert got["gone.txt"].status == "removed" and got["gone.txt"].deletions == 1
    assert got["logo.png"].patch is None  # binary: GitHub sends no patch either
    keep = got["keep.py"]
    assert (keep.additions, keep.deletions, keep.changes) == (2, 1, 3)
    assert keep.patch is not None and keep.patch.startswith("@@ -1,2 +1,3 @@")
    assert keep.patch.endswith("+--- c")
    assert got["added.md"].status == "added"
    assert got["added.md"].patch == "@@ -0,0 +1 @@\n+diff --git a/x b/x"


_line = st.text(st.characters(blacklist_characters="\n\r", codec="utf-8"), max_size=20)
_hunk = st.lists(st.tuples(st.sampled_from("+- "), _line), min_size=1, max_size=6)
_file = st.tuples(st.from_regex(r"[a-z]{1,6}(/[a-z]{1,6}){0,2}\.[a-z]{1,3}", fullmatch=True), _hunk)


@given(st.lists(_file, max_size=5, unique_by=lambda f: f[0]))
def test_each_file_keeps_exactly_its_own_hunks(
    files: list[tuple[str, list[tuple[str, str]]]],
) -> None:
    name_status = "".join(f"M\0{path}\0" for path, _ in files)
    text, expected = "", {}
    for path, lines in files:
        body = "\n".join(tag + content for tag, content in lines)
        patch = f"@@ -1,{len(lines)} +1,{len(lines)} @@\n{body}"
        text += f"diff --git a/{path} b/{path}\nindex 1..2 100644\n--- a/{path}\n+++ b/{path}\n"
        text += patch + "\n"
        expected[path] = (patch, sum(t == "+" for t, _ in lines), sum(t == "-" for t, _ in lines))
    changes = changes_from_git(name_status, text)
    assert {c.filename: (c.patch, c.additions, c.deletions) for c in changes} == expected


def test_a_diff_that_does_not_match_its_name_status_is_an_error() -> None:
    with pytest.raises(GitDiffError):
        changes_from_git("M\0a\0M\0b\0", "diff --git a/a b/a\n@@ -1 +1 @@\n-x\n+y\n")


def test_reverts_are_read_from_gits_own_messages() -> None:
    at = datetime(2025, 3, 1, 10, tzinfo=UTC)
    commits = [
        Commit(
            sha="1" * 40,
            at=at,
            message='Revert "add cache"\n\nThis reverts commit abc.\n',
            paths=["b.py", "a.py"],
            author="al",
        ),
        Commit(sha="2" * 40, at=at, message="fix: this reverts commit-hooks to default\n"),
        Commit(sha="3" * 40, at=at, message="Squash\n\nThis reverts commit 1234567.\n"),
        Commit(sha="4" * 40, at=at, message="Reverted the colours"),
    ]
    assert [is_revert(c.message) for c in commits] == [True, False, True, False]
    events = revert_events(commits)
    assert [(e.kind, e.sha[0], e.paths) for e in events] == [
        ("revert", "1", ["a.py", "b.py"]),
        ("revert", "3", []),
    ]


def test_rules_that_read_facts_only_github_has() -> None:
    gaps = local_gaps(
        {
            "invariants": {
                "dba": 'changed("db/**") => approved_by_team("@org/dba") || label("ok")',
                "size": "lines_changed() < 400",
                "broken": "changed(",
            },
            "cepGuards": {
                "fresh": "!pushed_after_approval()",
                "storm": 'max_same_path("revert", 24h) < 2',
                "pushes": 'events("push", 1h) < 5',
            },
        }
    )
    assert [(g.rule, g.unknown) for g in gaps] == [
        ("invariants.dba", ["approved_by_team()", "label()"]),
        ("cepGuards.fresh", ["pushed_after_approval()"]),
        ("cepGuards.pushes", ['events("push")']),
    ]
