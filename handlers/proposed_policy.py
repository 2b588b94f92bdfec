"""A pull request that edits `.github/maestro.yml` gets the new file validated on the pull
request itself: read at the head commit, parsed like the real thing, its problems shown on the
card ("Proposed policy (not in force until merged)") and annotated on the head file's lines.
The gate itself still applies the base branch's policy (`handlers.gather.read_policy`).
"""

from __future__ import annotations

from typing import Any

from checks.changes import FileChange
from checks.explain import policy_problem_sentence
from checks.policy.parse import MAX_POLICY_BYTES, POLICY_PATH, PolicyError, parse_policy
from checks.policy.proposed import ProposedPolicy
from handlers.port import GitHubPort


def _touches_policy(files: list[FileChange]) -> FileChange | None:
    for change in files:
        if POLICY_PATH in (change.filename, change.previous_filename):
            return change
    return None


async def proposed_policy(
    github: GitHubPort, repo: str, pull: dict[str, Any], files: list[FileChange]
) -> ProposedPolicy | None:
    """The policy file as the pull request's head has it; None when the PR does not touch it."""
    change = _touches_policy(files)
    if change is None:
        return None
    head_sha = str((pull.get("head") or {}).get("sha", ""))
    if change.status == "removed" or change.filename != POLICY_PATH:
        return ProposedPolicy(path=POLICY_PATH, head_sha=head_sha, state="removed")
    raw = await github.get_file(repo, POLICY_PATH, head_sha)
    if raw is None:
        return ProposedPolicy(path=POLICY_PATH, head_sha=head_sha, state="unreadable")
    parsed = parse_policy(raw[:MAX_POLICY_BYTES].decode("utf-8", errors="replace"), POLICY_PATH)
    if isinstance(parsed, PolicyError):
        return ProposedPolicy(
            path=POLICY_PATH, head_sha=head_sha, state="invalid", problems=parsed.problems
        )
    return ProposedPolicy(path=POLICY_PATH, head_sha=head_sha, state="valid")


def proposed_policy_annotations(proposed: ProposedPolicy | None) -> list[dict[str, Any]]:
    """Failure annotations on the lines of the proposed file that have problems."""
    if proposed is None:
        return []
    return [
        {
            "path": problem.path,
            "start_line": problem.line or 1,
            "end_line": problem.line or 1,
            "annotation_level": "failure",
            "title": "Proposed .github/maestro.yml is invalid",
            "message": policy_problem_sentence(problem),
        }
        for problem in proposed.problems
    ]
