"""Helpers for tests: real webhook payloads, signed posts, GitHub responses, a fake GitHub port."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from app.webhook import sign
from checks.changes import FileChange
from handlers.port import CheckRunOutput, Comparison

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
API_URL = "https://ghe.example.test/api/v3"
WEBHOOK_SECRET = "s3cr3t-for-tests"
APP_ID = 4242


def load_payload(name: str) -> dict[str, Any]:
    """A real octokit/webhooks example, e.g. load_payload("pull_request/opened")."""
    path = FIXTURES / "webhooks" / f"{name}.payload.json"
    if not path.exists():
        path = FIXTURES / "webhooks" / f"{name}.json"
    return json.loads(path.read_text())


def signed_headers(
    event: str, body: bytes, delivery_id: str | None = None, secret: str = WEBHOOK_SECRET
) -> dict[str, str]:
    return {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(secret, body),
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/test",
    }


async def post_event(
    client: httpx.AsyncClient,
    event: str,
    payload: dict[str, Any] | bytes,
    delivery_id: str | None = None,
) -> httpx.Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return await client.post(
        "/webhook", content=body, headers=signed_headers(event, body, delivery_id)
    )


def token_response(
    token: str = "ghs_testtoken", expires_at: str = "2099-01-01T00:00:00Z"
) -> httpx.Response:
    return httpx.Response(201, json={"token": token, "expires_at": expires_at})


class FakeGitHub:
    """Recording fake of `handlers.port.GitHubPort`; set `fail_on` to inject an error."""

    def __init__(self, files: list[FileChange] | None = None) -> None:
        self.files = files or []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail_on: dict[str, Exception] = {}
        self.next_id = 1000
        self.reviews: list[dict[str, Any]] = []
        self.artifacts: list[dict[str, Any]] = []
        self.artifact_zip = b""
        self.permissions: dict[str, str] = {}
        self.contents: dict[tuple[str, str], bytes] = {}
        self.tarballs: dict[str, bytes] = {}
        self.merge_bases: dict[tuple[str, str], str] = {}  # (base, head) → merge base
        self.memberships: dict[tuple[str, str], str] = {}  # ('org/team', login) -> state
        self.pull_commits: list[dict[str, Any]] = []
        self.base_commits: list[dict[str, Any]] = []
        self.commits: dict[str, dict[str, Any]] = {}
        self.open_pulls: list[dict[str, Any]] = []

    def _record(self, name: str, **kwargs: Any) -> None:
        self.calls.append((name, kwargs))
        error = self.fail_on.pop(name, None)
        if error is not None:
            raise error

    def named(self, name: str) -> list[dict[str, Any]]:
        return [kwargs for call, kwargs in self.calls if call == name]

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
        self._record("create_check_run", repo=repo, name=name, head_sha=head_sha, status=status)
        self.next_id += 1
        return self.next_id

    async def update_check_run(
        self, repo: str, check_run_id: int, *, output: CheckRunOutput
    ) -> None:
        self._record("update_check_run", repo=repo, id=check_run_id, output=output)

    async def complete_check_run(
        self, repo: str, check_run_id: int, *, conclusion: str, output: CheckRunOutput
    ) -> None:
        self._record(
            "complete_check_run", repo=repo, id=check_run_id, conclusion=conclusion, output=output
        )

    async def list_pull_files(self, repo: str, number: int) -> list[FileChange]:
        self._record("list_pull_files", repo=repo, number=number)
        return self.files

    async def get_pull(self, repo: str, number: int) -> dict[str, Any]:
        self._record("get_pull", repo=repo, number=number)
        return {}

    async def get_file(self, repo: str, path: str, ref: str) -> bytes | None:
        self._record("get_file", repo=repo, path=path, ref=ref)
        return self.contents.get((path, ref))

    async def create_issue_comment(self, repo: str, number: int, body: str) -> int:
        self._record("create_issue_comment", repo=repo, number=number, body=body)
        return 1

    async def list_reviews(self, repo: str, number: int) -> list[dict[str, Any]]:
        self._record("list_reviews", repo=repo, number=number)
        return self.reviews

    async def create_review(
        self, repo: str, number: int, *, commit_id: str, body: str, comments: list[dict[str, Any]]
    ) -> int:
        self._record("create_review", repo=repo, number=number, comments=comments)
        return 1

    async def list_run_artifacts(self, repo: str, run_id: int) -> list[dict[str, Any]]:
        self._record("list_run_artifacts", repo=repo, run_id=run_id)
        return self.artifacts

    async def download_artifact(self, repo: str, artifact_id: int, max_bytes: int) -> bytes:
        self._record("download_artifact", repo=repo, artifact_id=artifact_id)
        return self.artifact_zip

    async def compare_files(self, repo: str, base: str, head: str) -> list[FileChange]:
        self._record("compare_files", repo=repo, base=base, head=head)
        return self.files

    async def compare(self, repo: str, base: str, head: str) -> Comparison:
        self._record("compare", repo=repo, base=base, head=head)
        return Comparison(merge_base=self.merge_bases.get((base, head), base), files=self.files)

    async def download_tarball(self, repo: str, ref: str, max_bytes: int) -> bytes:
        self._record("download_tarball", repo=repo, ref=ref)
        return self.tarballs[ref]

    async def permission_of(self, repo: str, username: str) -> str:
        self._record("permission_of", repo=repo, username=username)
        return self.permissions.get(username, "none")

    async def team_membership(self, org: str, team_slug: str, username: str) -> str:
        self._record("team_membership", org=org, team_slug=team_slug, username=username)
        return self.memberships.get((f"{org}/{team_slug}", username), "none")

    async def list_pull_commits(self, repo: str, number: int) -> list[dict[str, Any]]:
        self._record("list_pull_commits", repo=repo, number=number)
        return self.pull_commits

    async def list_commits(
        self, repo: str, sha: str, since: datetime, max_count: int
    ) -> list[dict[str, Any]]:
        self._record("list_commits", repo=repo, sha=sha, since=since)
        return self.base_commits[:max_count]

    async def get_commit(self, repo: str, sha: str) -> dict[str, Any]:
        self._record("get_commit", repo=repo, sha=sha)
        return self.commits[sha]

    async def list_open_pulls(self, repo: str, base: str, max_count: int) -> list[dict[str, Any]]:
        self._record("list_open_pulls", repo=repo, base=base)
        return self.open_pulls[:max_count]


RISK_ONLY_POLICY = "required: [riskCap]\n"


def contents_response(text: str, path: str = ".github/maestro.yml") -> httpx.Response:
    """GitHub's `GET /repos/{owner}/{repo}/contents/{path}` answer for a small file."""
    import base64

    return httpx.Response(
        200,
        json={
            "type": "file",
            "encoding": "base64",
            "size": len(text.encode()),
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "content": base64.b64encode(text.encode()).decode(),
            "sha": "3d21ec53a331a6f037a91c368710b99387d012c1",
            "url": "https://api.github.com/repos/o/r/contents/" + path,
            "git_url": None,
            "html_url": None,
            "download_url": None,
            "_links": {"self": "https://api.github.com/x", "git": None, "html": None},
        },
    )


def mock_pull_request_api(
    github: Any,
    *,
    repo: str = "Codertocat/Hello-World",
    number: int = 2,
    installation_id: int = 1,
    check_run_id: int = 77,
    files: list[dict[str, Any]] | None = None,
    policy: str | None = RISK_ONLY_POLICY,
    reviews: list[dict[str, Any]] | None = None,
    pull: dict[str, Any] | None = None,
    tarball: bytes | None = None,
    contents: dict[str, str] | None = None,
    merge_base: str | None = None,
) -> dict[str, Any]:
    """respx routes for everything a Proof Card computation calls on GitHub.

    Without `tarball` the repository archive is missing (404) and the risk falls back to the
    file-list estimate; with it, the archive is served through GitHub's 302 to storage.
    """
    base = f"/repos/{repo}"
    pull = pull or load_payload("pull_request/opened")["pull_request"]
    not_found = httpx.Response(404, json={"message": "Not Found"})
    blob = "https://codeload.example.test/archive.tar.gz"
    if tarball is not None:
        github.get(blob).mock(return_value=httpx.Response(200, content=tarball))
    return {
        "tarball": github.get(url__regex=rf".*{base}/tarball/.*").mock(
            return_value=not_found
            if tarball is None
            else httpx.Response(302, headers={"Location": blob})
        ),
        "contents": github.get(url__regex=rf".*{base}/contents/(?!\.github/maestro\.yml).*").mock(
            side_effect=lambda request: _contents(request, base, contents or {})
        ),
        "token": github.post(f"/app/installations/{installation_id}/access_tokens").mock(
            return_value=token_response()
        ),
        "pull": github.get(f"{base}/pulls/{number}").mock(
            return_value=httpx.Response(200, json=pull)
        ),
        "create": github.post(f"{base}/check-runs").mock(
            return_value=httpx.Response(201, json={"id": check_run_id, "status": "in_progress"})
        ),
        "files": github.get(f"{base}/pulls/{number}/files").mock(
            return_value=httpx.Response(200, json=DEFAULT_FILES if files is None else files)
        ),
        "policy": github.get(f"{base}/contents/.github/maestro.yml").mock(
            return_value=not_found if policy is None else contents_response(policy)
        ),
        "reviews": github.get(f"{base}/pulls/{number}/reviews").mock(
            return_value=httpx.Response(200, json=reviews or [])
        ),
        "complete": github.patch(f"{base}/check-runs/{check_run_id}").mock(
            return_value=httpx.Response(200, json={"id": check_run_id})
        ),
        "compare": github.get(url__regex=rf".*{base}/compare/.*").mock(
            return_value=compare_response(
                pull["base"]["sha"],
                merge_base or pull["base"]["sha"],
                DEFAULT_FILES if files is None else files,
            )
        ),
    }


def compare_response(base: str, merge_base: str, files: list[dict[str, Any]]) -> httpx.Response:
    """GitHub's `GET /repos/{owner}/{repo}/compare/{basehead}` answer (the fields Maestro reads,
    plus the required ones)."""
    return httpx.Response(
        200,
        json={
            "url": "https://api.github.com/repos/o/r/compare/a...b",
            "html_url": "https://github.com/o/r/compare/a...b",
            "permalink_url": "https://github.com/o/r/compare/o:a...o:b",
            "diff_url": "https://github.com/o/r/compare/a...b.diff",
            "patch_url": "https://github.com/o/r/compare/a...b.patch",
            "base_commit": {"sha": base},
            "merge_base_commit": {"sha": merge_base},
            "status": "ahead" if base == merge_base else "diverged",
            "ahead_by": 1,
            "behind_by": 0 if base == merge_base else 1,
            "total_commits": 1,
            "commits": [],
            "files": files,
        },
    )


DEFAULT_FILES: list[dict[str, Any]] = [
    {
        "sha": "bbcd538c8e72b8c175046e27cc8f907076331401",
        "filename": "src/app.py",
        "status": "modified",
        "additions": 40,
        "deletions": 10,
        "changes": 50,
        "blob_url": "https://github.com/o/r/blob/x/src/app.py",
        "raw_url": "https://github.com/o/r/raw/x/src/app.py",
        "contents_url": "https://api.github.com/repos/o/r/contents/src/app.py?ref=x",
        "patch": "@@ -1 +1 @@\n-a\n+b",
    },
    {
        "sha": "ccdd538c8e72b8c175046e27cc8f907076331401",
        "filename": "migrations/0002_add_index.sql",
        "status": "added",
        "additions": 12,
        "deletions": 0,
        "changes": 12,
        "blob_url": "https://github.com/o/r/blob/x/m.sql",
        "raw_url": "https://github.com/o/r/raw/x/m.sql",
        "contents_url": "https://api.github.com/repos/o/r/contents/m.sql?ref=x",
    },
]


def _contents(request: httpx.Request, base: str, files: dict[str, str]) -> httpx.Response:
    path = request.url.path.split(f"{base}/contents/", 1)[-1]
    at_ref = f"{path}@{request.url.params.get('ref', '')}"
    if at_ref in files:  # "path@ref" entries answer for one commit only
        return contents_response(files[at_ref], path)
    if path in files:
        return contents_response(files[path], path)
    return httpx.Response(404, json={"message": "Not Found"})
