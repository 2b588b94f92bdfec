"""A change on a local git checkout, read the way the Proof Card handler reads a pull request.

Everything comes from git objects, never the work tree: the refs resolved to commits, the
change as a pull request shows it (`git diff BASE...HEAD`: from the merge base of the two refs
to HEAD), the changed files in the shape of GitHub's `pulls/{n}/files`, the commits of the range
(for revert events), the policy at BASE itself (the tip of the base branch, as the app reads
it), and manifests at both ends for the SBOM delta. Errors are `LocalChangeError`, whose message
is meant for the user (the CLI prints it and exits 2).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from checks.changes import FileChange, GitDiffError, changes_from_git
from checks.policy.model import Policy
from checks.policy.parse import MAX_POLICY_BYTES, POLICY_PATH, PolicyError, parse_policy
from checks.rules.local import Commit

_RECORD, _UNIT = "\x1e", "\x1f"


class LocalChangeError(Exception):
    """A ref, the repository or git itself could not be read; the message says which."""


def git(repo: str, *args: str) -> bytes:
    try:
        proc = subprocess.run(
            ["git", "-C", repo, "-c", "core.quotepath=false", *args],
            capture_output=True,
            check=False,
        )
    except OSError as exc:
        raise LocalChangeError(f"cannot run git: {exc.strerror}") from None
    if proc.returncode != 0:
        message = proc.stderr.decode(errors="replace").strip().splitlines()
        raise LocalChangeError(message[0] if message else f"git {args[0]} failed")
    return proc.stdout


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _commit(repo: str, ref: str, role: str) -> str:
    if not ref or ref.startswith("-"):
        raise LocalChangeError(f"{role} ref {ref!r} is not a revision")
    try:
        return _text(
            git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", ref + "^{commit}")
        ).strip()
    except LocalChangeError:
        raise LocalChangeError(f"{role} ref {ref!r} is not a commit in {repo}") from None


@dataclass
class LocalChange:
    """One change between two refs of a checkout, as the engine's inputs."""

    repo: str
    base_ref: str
    head_ref: str
    base_sha: str
    head_sha: str
    merge_base: str
    head_time: datetime
    files: list[FileChange] = field(default_factory=list)
    commits: list[Commit] = field(default_factory=list)

    @property
    def range(self) -> str:
        return f"{self.base_ref}...{self.head_ref}"


def open_change(repo: str, base: str, head: str) -> LocalChange:
    """Resolve BASE and HEAD in `repo` and read the change between their merge base and HEAD."""
    if not Path(repo).is_dir():
        raise LocalChangeError(f"{repo} is not a directory")
    try:
        git(repo, "rev-parse", "--git-dir")
    except LocalChangeError:
        raise LocalChangeError(f"{repo} is not a git repository") from None
    base_sha = _commit(repo, base, "base")
    head_sha = _commit(repo, head, "head")
    try:
        merge_base = _text(git(repo, "merge-base", base_sha, head_sha)).strip()
    except LocalChangeError:
        raise LocalChangeError(f"{base} and {head} have no common ancestor") from None
    diff_options = ["-M", "--no-color", "--no-ext-diff", "--no-textconv", merge_base, head_sha]
    name_status = _text(git(repo, "diff", "--name-status", "-z", *diff_options))
    patch = _text(git(repo, "diff", *diff_options))
    try:
        files = changes_from_git(name_status, patch)
    except GitDiffError as exc:
        raise LocalChangeError(f"cannot read git diff {base}...{head}: {exc}") from None
    when = _text(git(repo, "show", "-s", "--format=%cI", head_sha)).strip()
    return LocalChange(
        repo=repo,
        base_ref=base,
        head_ref=head,
        base_sha=base_sha,
        head_sha=head_sha,
        merge_base=merge_base,
        head_time=datetime.fromisoformat(when),
        files=files,
        commits=_commits(repo, merge_base, head_sha),
    )


def _commits(repo: str, start: str, end: str) -> list[Commit]:
    """The commits of start..end with the paths each changed (merges list none)."""
    out = _text(
        git(
            repo,
            "log",
            "--no-renames",
            "--name-only",
            f"--format={_RECORD}%H{_UNIT}%cI{_UNIT}%an{_UNIT}%B{_UNIT}",
            f"{start}..{end}",
        )
    )
    commits: list[Commit] = []
    for record in out.split(_RECORD)[1:]:
        sha, when, author, message, paths = record.split(_UNIT, 4)
        commits.append(
            Commit(
                sha=sha,
                at=datetime.fromisoformat(when),
                author=author,
                message=message,
                paths=[p for p in paths.splitlines() if p.strip()],
            )
        )
    return commits


def file_at(repo: str, commit: str, path: str) -> bytes | None:
    """The file's bytes at `commit` (a resolved commit), or None when no file is there."""
    try:
        kind = git(repo, "cat-file", "-t", f"{commit}:{path}").strip()
    except LocalChangeError:
        return None
    if kind != b"blob":
        return None
    return git(repo, "cat-file", "blob", f"{commit}:{path}")


def policy_at(repo: str, commit: str) -> Policy | PolicyError:
    """`.github/maestro.yml` at `commit`: the documented defaults when absent."""
    raw = file_at(repo, commit, POLICY_PATH)
    if raw is None:
        return parse_policy(None, POLICY_PATH)
    return parse_policy(_text(raw[: MAX_POLICY_BYTES + 1]), POLICY_PATH)
