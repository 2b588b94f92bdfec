"""Helpers for tests: real webhook payloads, signed posts, GitHub responses, a fake GitHub port."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx

from app.webhook import sign
from checks.changes import FileChange
from handlers.port import CheckRunOutput

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
        return None

    async def create_issue_comment(self, repo: str, number: int, body: str) -> int:
        self._record("create_issue_comment", repo=repo, number=number, body=body)
        return 1
