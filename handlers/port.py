"""The one small typed interface through which handlers act on GitHub.

Handlers never see HTTP. Production uses `app.github_port.RestGitHubPort`; tests pass a recording
fake (see `tests/conftest.py`) or the real port over respx, and can inject errors either way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, Field

from checks.changes import FileChange


class DownloadTooLarge(ValueError):
    """A download (workflow artifact, repository tarball) is larger than Maestro accepts."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


class CheckRunOutput(BaseModel):
    """A check-run's output, plus the two check-run fields that travel with it."""

    title: str
    summary: str
    text: str | None = None
    annotations: list[dict[str, Any]] = Field(
        default_factory=list, description="any number: the port sends them 50 per request"
    )
    details_url: str | None = Field(default=None, description="the full card on Maestro's page")
    actions: list[dict[str, str]] = Field(
        default_factory=list, description="buttons: {label, identifier, description}"
    )


class Comparison(BaseModel):
    """Two commits compared: their merge base and the files changed from it to the head
    (GitHub lists at most 300)."""

    merge_base: str
    files: list[FileChange] = Field(default_factory=list)


class GitHubPort(Protocol):
    """What Maestro does on GitHub for one installation."""

    async def create_check_run(
        self,
        repo: str,
        *,
        name: str,
        head_sha: str,
        status: str,
        external_id: str | None = None,
        output: CheckRunOutput | None = None,
    ) -> int: ...

    async def update_check_run(
        self, repo: str, check_run_id: int, *, output: CheckRunOutput
    ) -> None: ...

    async def complete_check_run(
        self, repo: str, check_run_id: int, *, conclusion: str, output: CheckRunOutput
    ) -> None: ...

    async def list_pull_files(self, repo: str, number: int) -> list[FileChange]: ...

    async def get_pull(self, repo: str, number: int) -> dict[str, Any]: ...

    async def get_file(self, repo: str, path: str, ref: str) -> bytes | None: ...

    async def create_issue_comment(self, repo: str, number: int, body: str) -> int: ...

    async def list_reviews(self, repo: str, number: int) -> list[dict[str, Any]]: ...

    async def create_review(
        self, repo: str, number: int, *, commit_id: str, body: str, comments: list[dict[str, Any]]
    ) -> int: ...

    async def list_run_artifacts(self, repo: str, run_id: int) -> list[dict[str, Any]]: ...

    async def download_artifact(self, repo: str, artifact_id: int, max_bytes: int) -> bytes: ...

    async def compare_files(self, repo: str, base: str, head: str) -> list[FileChange]: ...

    async def compare(self, repo: str, base: str, head: str) -> Comparison: ...

    async def download_tarball(self, repo: str, ref: str, max_bytes: int) -> bytes: ...

    async def permission_of(self, repo: str, username: str) -> str: ...

    async def team_membership(self, org: str, team_slug: str, username: str) -> str:
        """ "active" or "pending"; "none" when not a member (404); "unknown" when the app may not
        read the organization's teams (403: the `members: read` permission is not granted)."""
        ...

    async def list_pull_commits(self, repo: str, number: int) -> list[dict[str, Any]]: ...

    async def list_commits(
        self, repo: str, sha: str, since: datetime, max_count: int
    ) -> list[dict[str, Any]]: ...

    async def get_commit(self, repo: str, sha: str) -> dict[str, Any]: ...

    async def list_open_pulls(
        self, repo: str, base: str, max_count: int
    ) -> list[dict[str, Any]]: ...
