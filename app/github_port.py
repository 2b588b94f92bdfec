"""The production `GitHubPort`: REST calls through gidgethub for one installation."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from typing import Any

import httpx
from gidgethub import BadRequest, RateLimitExceeded, RedirectionException

from app.github_api import RetryingGitHubAPI
from checks.changes import FileChange
from handlers.port import CheckRunOutput, Comparison, DownloadTooLarge

# GitHub rejects check-run summaries (and texts) over 65,535 characters. The Proof Card handler
# already cuts a long card with a link to its full page; this is the port's last safety net.
MAX_SUMMARY_CHARS = 65_535
MAX_ANNOTATIONS = 50  # per request, GitHub's limit; more are sent in further updates
TRUNCATION_NOTE = "\n\n… (truncated: the full card is longer than GitHub allows)"


def _split(repo: str) -> dict[str, str]:
    owner, _, name = repo.partition("/")
    return {"owner": owner, "repo": name}


def _cut(text: str) -> str:
    if len(text) <= MAX_SUMMARY_CHARS:
        return text
    return text[: MAX_SUMMARY_CHARS - len(TRUNCATION_NOTE)] + TRUNCATION_NOTE


def _output(output: CheckRunOutput, annotations: list[dict[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {"title": output.title[:255], "summary": _cut(output.summary)}
    if output.text:
        data["text"] = _cut(output.text)
    if annotations:
        data["annotations"] = annotations
    return data


def _batches(output: CheckRunOutput) -> list[list[dict[str, Any]]]:
    """The annotations in requests of at most 50 (one empty batch when there are none)."""
    notes = output.annotations
    return [notes[i : i + MAX_ANNOTATIONS] for i in range(0, len(notes), MAX_ANNOTATIONS)] or [[]]


def _run_fields(output: CheckRunOutput) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if output.details_url:
        fields["details_url"] = output.details_url
    if output.actions:
        fields["actions"] = output.actions[:3]  # GitHub allows three buttons
    return fields


_COMMIT_SHA = re.compile(r"[0-9a-f]{40}")


class RestGitHubPort:
    """GitHubPort over the REST API with an installation token."""

    def __init__(self, api: RetryingGitHubAPI) -> None:
        self.api = api
        # Contents at a commit SHA never change: one event's SBOM delta and PII scan may both
        # read the same head file, and read it from GitHub once. (A port lives for one event.)
        self._files_at_commit: dict[tuple[str, str, str], bytes | None] = {}

    async def create_check_run(
        self,
        repo: str,
        *,
        name: str,
        head_sha: str,
        status: str,
        external_id: str | None = None,
        output: CheckRunOutput | None = None,
    ) -> int:
        body: dict[str, Any] = {"name": name, "head_sha": head_sha, "status": status}
        if external_id:
            body["external_id"] = external_id
        batches = _batches(output) if output is not None else [[]]
        if output is not None:
            body.update(_run_fields(output), output=_output(output, batches[0]))
        response = await self.api.post("/repos/{owner}/{repo}/check-runs", _split(repo), data=body)
        check_run_id = int(response["id"])
        if output is not None:
            await self._more_annotations(repo, check_run_id, output, batches[1:])
        return check_run_id

    async def update_check_run(
        self, repo: str, check_run_id: int, *, output: CheckRunOutput
    ) -> None:
        batches = _batches(output)
        await self._patch(
            repo,
            check_run_id,
            {"status": "in_progress", **_run_fields(output), "output": _output(output, batches[0])},
        )
        await self._more_annotations(repo, check_run_id, output, batches[1:])

    async def complete_check_run(
        self, repo: str, check_run_id: int, *, conclusion: str, output: CheckRunOutput
    ) -> None:
        """Complete the run with the first 50 annotations; GitHub appends the annotations of each
        further update, so the rest follow 50 at a time with the same title and summary."""
        batches = _batches(output)
        await self._patch(
            repo,
            check_run_id,
            {
                "status": "completed",
                "conclusion": conclusion,
                **_run_fields(output),
                "output": _output(output, batches[0]),
            },
        )
        await self._more_annotations(repo, check_run_id, output, batches[1:])

    async def _more_annotations(
        self,
        repo: str,
        check_run_id: int,
        output: CheckRunOutput,
        batches: list[list[dict[str, Any]]],
    ) -> None:
        for batch in batches:
            await self._patch(repo, check_run_id, {"output": _output(output, batch)})

    async def _patch(self, repo: str, check_run_id: int, data: dict[str, Any]) -> None:
        await self.api.patch(
            "/repos/{owner}/{repo}/check-runs/{check_run_id}",
            {**_split(repo), "check_run_id": check_run_id},
            data=data,
        )

    async def list_pull_files(self, repo: str, number: int) -> list[FileChange]:
        files = []
        async for item in self.api.getiter(
            "/repos/{owner}/{repo}/pulls/{pull_number}/files{?per_page}",
            {**_split(repo), "pull_number": number, "per_page": 100},
            iterable_key=None,
        ):
            files.append(FileChange.model_validate(item))
        return files

    async def get_pull(self, repo: str, number: int) -> dict[str, Any]:
        result: dict[str, Any] = await self.api.getitem(
            "/repos/{owner}/{repo}/pulls/{pull_number}", {**_split(repo), "pull_number": number}
        )
        return result

    async def get_file(self, repo: str, path: str, ref: str) -> bytes | None:
        if not _COMMIT_SHA.fullmatch(ref):  # a branch or tag moves: always ask
            return await self._fetch_file(repo, path, ref)
        key = (repo, path, ref)
        if key not in self._files_at_commit:
            self._files_at_commit[key] = await self._fetch_file(repo, path, ref)
        return self._files_at_commit[key]

    async def _fetch_file(self, repo: str, path: str, ref: str) -> bytes | None:
        try:
            item = await self.api.getitem(
                "/repos/{owner}/{repo}/contents/{+path}{?ref}",
                {**_split(repo), "path": path, "ref": ref},
            )
        except BadRequest as exc:
            if int(exc.status_code) == 404:
                return None
            raise
        if not isinstance(item, dict) or item.get("type") != "file":
            return None
        if not item.get("content") and (item.get("size") or item.get("encoding") == "none"):
            # Files of 1–100 MB come without content (encoding "none"); the blob has it.
            blob = await self.api.getitem(
                "/repos/{owner}/{repo}/git/blobs/{file_sha}",
                {**_split(repo), "file_sha": item["sha"]},
            )
            return base64.b64decode(blob.get("content", ""))
        return base64.b64decode(item.get("content", ""))

    async def create_issue_comment(self, repo: str, number: int, body: str) -> int:
        response = await self.api.post(
            "/repos/{owner}/{repo}/issues/{issue_number}/comments",
            {**_split(repo), "issue_number": number},
            data={"body": body},
        )
        return int(response["id"])

    async def list_reviews(self, repo: str, number: int) -> list[dict[str, Any]]:
        return [
            item
            async for item in self.api.getiter(
                "/repos/{owner}/{repo}/pulls/{pull_number}/reviews{?per_page}",
                {**_split(repo), "pull_number": number, "per_page": 100},
                iterable_key=None,
            )
        ]

    async def create_review(
        self, repo: str, number: int, *, commit_id: str, body: str, comments: list[dict[str, Any]]
    ) -> int:
        response = await self.api.post(
            "/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
            {**_split(repo), "pull_number": number},
            data={"commit_id": commit_id, "body": body, "event": "COMMENT", "comments": comments},
        )
        return int(response["id"])

    async def list_run_artifacts(self, repo: str, run_id: int) -> list[dict[str, Any]]:
        return [
            item
            async for item in self.api.getiter(
                "/repos/{owner}/{repo}/actions/runs/{run_id}/artifacts{?per_page}",
                {**_split(repo), "run_id": run_id, "per_page": 100},
                iterable_key="artifacts",
            )
        ]

    async def download_artifact(self, repo: str, artifact_id: int, max_bytes: int) -> bytes:
        """The artifact zip: GitHub answers 302 to a short-lived signed URL (no auth)."""
        return await self._redirected_download(
            "/repos/{owner}/{repo}/actions/artifacts/{artifact_id}/{archive_format}",
            {**_split(repo), "artifact_id": artifact_id, "archive_format": "zip"},
            max_bytes,
        )

    async def compare_files(self, repo: str, base: str, head: str) -> list[FileChange]:
        """Files changed between two commits (GitHub lists at most 300 in one comparison)."""
        result = await self.api.getitem(
            "/repos/{owner}/{repo}/compare/{basehead}",
            {**_split(repo), "basehead": f"{base}...{head}"},
        )
        return [FileChange.model_validate(item) for item in result.get("files") or []]

    async def compare(self, repo: str, base: str, head: str) -> Comparison:
        """Merge base and changed files of `base...head` (one commit per page: the files come
        with the first page whatever its size)."""
        result = await self.api.getitem(
            "/repos/{owner}/{repo}/compare/{basehead}{?per_page}",
            {**_split(repo), "basehead": f"{base}...{head}", "per_page": 1},
        )
        return Comparison(
            merge_base=(result.get("merge_base_commit") or {}).get("sha", ""),
            files=[FileChange.model_validate(item) for item in result.get("files") or []],
        )

    async def download_tarball(self, repo: str, ref: str, max_bytes: int) -> bytes:
        """The repository at `ref` as a gzipped tarball (one request instead of one per file)."""
        return await self._redirected_download(
            "/repos/{owner}/{repo}/tarball/{+ref}", {**_split(repo), "ref": ref}, max_bytes
        )

    async def _redirected_download(
        self, url: str, url_vars: dict[str, Any], max_bytes: int
    ) -> bytes:
        try:
            await self.api.getitem(url, url_vars)
        except RedirectionException as exc:
            headers = exc.headers or {}
            location = headers.get("location") or headers.get("Location")
            if not location:
                raise
        else:
            raise RuntimeError(f"GitHub did not redirect {url} to a download")
        return await _download(self.api._client, location, max_bytes)

    async def permission_of(self, repo: str, username: str) -> str:
        """The user's role on the repository: admin, maintain, write, triage, read or none."""
        try:
            item = await self.api.getitem(
                "/repos/{owner}/{repo}/collaborators/{username}/permission",
                {**_split(repo), "username": username},
            )
        except BadRequest as exc:
            if int(exc.status_code) == 404:
                return "none"
            raise
        return str(item.get("role_name") or item.get("permission") or "none")

    async def team_membership(self, org: str, team_slug: str, username: str) -> str:
        """The user's membership state in `org/team_slug`: active, pending, none (404) or
        unknown (403: the installation lacks the organization `members: read` permission)."""
        try:
            item = await self.api.getitem(
                "/orgs/{org}/teams/{team_slug}/memberships/{username}",
                {"org": org, "team_slug": team_slug, "username": username},
            )
        except RateLimitExceeded:
            raise
        except BadRequest as exc:
            if int(exc.status_code) == 404:
                return "none"
            if int(exc.status_code) == 403:
                return "unknown"
            raise
        return str(item.get("state") or "none")

    async def list_pull_commits(self, repo: str, number: int) -> list[dict[str, Any]]:
        """The pull request's commits, oldest first (GitHub lists at most 250)."""
        return [
            item
            async for item in self.api.getiter(
                "/repos/{owner}/{repo}/pulls/{pull_number}/commits{?per_page}",
                {**_split(repo), "pull_number": number, "per_page": 100},
                iterable_key=None,
            )
        ]

    async def list_commits(
        self, repo: str, sha: str, since: datetime, max_count: int
    ) -> list[dict[str, Any]]:
        """Commits reachable from `sha` committed since `since`, newest first, at most
        `max_count` (later pages are not fetched)."""
        items: list[dict[str, Any]] = []
        async for item in self.api.getiter(
            "/repos/{owner}/{repo}/commits{?sha,since,per_page}",
            {
                **_split(repo),
                "sha": sha,
                "since": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "per_page": min(100, max_count),
            },
            iterable_key=None,
        ):
            items.append(item)
            if len(items) >= max_count:
                break
        return items

    async def get_commit(self, repo: str, sha: str) -> dict[str, Any]:
        """One commit with the files it touched."""
        result: dict[str, Any] = await self.api.getitem(
            "/repos/{owner}/{repo}/commits/{+ref}", {**_split(repo), "ref": sha}
        )
        return result

    async def list_open_pulls(self, repo: str, base: str, max_count: int) -> list[dict[str, Any]]:
        """Open pull requests into `base`, at most `max_count` (later pages are not fetched)."""
        items: list[dict[str, Any]] = []
        async for item in self.api.getiter(
            "/repos/{owner}/{repo}/pulls{?state,base,per_page}",
            {**_split(repo), "state": "open", "base": base, "per_page": min(100, max_count)},
            iterable_key=None,
        ):
            items.append(item)
            if len(items) >= max_count:
                break
        return items


async def _download(client: httpx.AsyncClient, url: str, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async with client.stream("GET", url, follow_redirects=True) as response:
        response.raise_for_status()
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise DownloadTooLarge(max_bytes)
            chunks.append(chunk)
    return b"".join(chunks)
