"""The check-run output the port sends: annotations in batches of 50, the details URL and the
Re-run button, all checked against GitHub's OpenAPI description; and how Maestro's own trouble
is classified (retry or not, and never a secret in what the card shows)."""

from __future__ import annotations

import http
import json

import httpx
import pytest
import respx
from gidgethub import BadRequest, GitHubBroken
from support.github import API_URL
from support.openapi_guard import check_request

from app.github_api import RetryingGitHubAPI
from app.github_port import RestGitHubPort
from handlers.port import CheckRunOutput, DownloadTooLarge
from handlers.publish import RERUN_ACTION
from handlers.trouble import classify

REPO = "octo-org/octo-repo"


def _annotations(n: int) -> list[dict[str, object]]:
    return [
        {
            "path": f"src/m{i}.py",
            "start_line": i + 1,
            "end_line": i + 1,
            "annotation_level": "warning",
            "title": "Changed lines not covered by tests",
            "message": f"line {i + 1}",
        }
        for i in range(n)
    ]


async def test_120_annotations_go_out_in_three_requests(github: respx.MockRouter) -> None:
    route = github.patch(f"/repos/{REPO}/check-runs/5").mock(
        return_value=httpx.Response(200, json={"id": 5})
    )
    async with httpx.AsyncClient() as client:
        port = RestGitHubPort(RetryingGitHubAPI(client, base_url=API_URL, oauth_token="t"))
        output = CheckRunOutput(
            title="1 of 7 obligations failed",
            summary="the card",
            annotations=_annotations(120),
            details_url="https://maestro.example.test/cards/octo-org/octo-repo/" + "a" * 40,
        )
        await port.complete_check_run(REPO, 5, conclusion="failure", output=output)
    bodies = [json.loads(call.request.content) for call in route.calls]
    assert [len(b["output"]["annotations"]) for b in bodies] == [50, 50, 20]
    assert bodies[0]["status"] == "completed" and bodies[0]["conclusion"] == "failure"
    assert bodies[0]["details_url"] == output.details_url
    assert all("status" not in b and "conclusion" not in b for b in bodies[1:])
    assert {(b["output"]["title"], b["output"]["summary"]) for b in bodies} == {
        ("1 of 7 obligations failed", "the card")
    }
    sent = [a["path"] for b in bodies for a in b["output"]["annotations"]]
    assert sent == [f"src/m{i}.py" for i in range(120)]  # each once, in order
    for call in route.calls:
        assert check_request(call.request, API_URL) == []


async def test_without_annotations_one_request_with_the_rerun_button(
    github: respx.MockRouter,
) -> None:
    route = github.patch(f"/repos/{REPO}/check-runs/6").mock(
        return_value=httpx.Response(200, json={"id": 6})
    )
    async with httpx.AsyncClient() as client:
        port = RestGitHubPort(RetryingGitHubAPI(client, base_url=API_URL, oauth_token="t"))
        output = CheckRunOutput(
            title="Maestro could not finish", summary="x" * 70_000, actions=[RERUN_ACTION]
        )
        await port.complete_check_run(REPO, 6, conclusion="neutral", output=output)
    (call,) = route.calls
    body = json.loads(call.request.content)
    assert body["actions"] == [RERUN_ACTION]
    assert "annotations" not in body["output"]
    assert len(body["output"]["summary"]) <= 65_535  # the port's last safety net
    assert check_request(call.request, API_URL) == []


def test_an_action_github_would_refuse_is_caught_by_the_guard() -> None:
    body = {"status": "completed", "conclusion": "neutral", "actions": [{"label": "x" * 30}]}
    request = httpx.Request("PATCH", f"{API_URL}/repos/{REPO}/check-runs/6", json=body)
    assert check_request(request, API_URL) != []


def http_status_code(status: int) -> http.HTTPStatus:
    return http.HTTPStatus(status)


@pytest.mark.parametrize(
    ("exc", "code", "detail", "transient"),
    [
        (GitHubBroken(http_status_code(502)), "github_error", "HTTP 502 Bad Gateway", True),
        (BadRequest(http_status_code(404)), "github_error", "HTTP 404 Not Found", False),
        (BadRequest(http_status_code(401)), "github_error", "HTTP 401 Unauthorized", True),
        (DownloadTooLarge(50 * 1024 * 1024), "artifact_too_large", "over 50 MB", False),
        (
            httpx.ConnectTimeout("https://x/?sig=secret"),
            "github_unreachable",
            "ConnectTimeout",
            True,
        ),
        (KeyError("ghp_" + "a" * 36), "crash", "KeyError", True),
    ],
)
def test_trouble_is_classified_without_the_exception_text(
    exc: Exception, code: str, detail: str, transient: bool
) -> None:
    trouble, retry = classify(exc)
    assert (trouble.code, trouble.detail, retry) == (code, detail, transient)
    assert "secret" not in trouble.model_dump_json() and "ghp_" not in trouble.model_dump_json()
