"""The OpenAPI guard itself: requests GitHub's description forbids are rejected, with a reason
naming what is wrong; the requests Maestro really sends pass."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from support.github import API_URL
from support.openapi_guard import check_request

REPO = f"{API_URL}/repos/octo/hello"
HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"


def _request(method: str, url: str, body: dict[str, Any] | None = None) -> httpx.Request:
    content = json.dumps(body).encode() if body is not None else b""
    return httpx.Request(method, url, content=content)


VALID = [
    _request(
        "POST",
        f"{REPO}/check-runs",
        {"name": "Maestro Proof Card", "head_sha": HEAD, "status": "in_progress"},
    ),
    _request(
        "PATCH",
        f"{REPO}/check-runs/77",
        {
            "status": "completed",
            "conclusion": "success",
            "output": {"title": "All obligations passed", "summary": "…"},
        },
    ),
    _request("GET", f"{REPO}/pulls/2/files?per_page=100&page=2"),
    _request("POST", f"{API_URL}/app/installations/1/access_tokens", {}),
]


@pytest.mark.parametrize("request_", VALID, ids=lambda r: f"{r.method} {r.url.path}")
def test_requests_the_description_allows_pass(request_: httpx.Request) -> None:
    assert check_request(request_, API_URL) == []


INVALID = {
    "status not in the enum": (
        _request(
            "POST",
            f"{REPO}/check-runs",
            {"name": "Maestro Proof Card", "head_sha": HEAD, "status": "running"},
        ),
        "'running' is not one of",
    ),
    "required head_sha missing": (
        _request("POST", f"{REPO}/check-runs", {"name": "Maestro Proof Card"}),
        "'head_sha' is a required property",
    ),
    "method not defined on the path": (
        _request("DELETE", f"{REPO}/check-runs/77"),
        "DELETE is not allowed",
    ),
    "query parameter of the wrong type": (
        _request("GET", f"{REPO}/pulls/2/files?per_page=lots"),
        "query per_page: <root>: 'lots' is not of type 'integer'",
    ),
    "undeclared query parameter": (
        _request("GET", f"{REPO}/pulls/2/files?sort=name"),
        "query parameter 'sort' is not defined",
    ),
    "non-integer path parameter": (
        _request("GET", f"{REPO}/pulls/two/files"),
        "path pull_number: <root>: 'two' is not of type 'integer'",
    ),
    "output without its summary": (
        _request(
            "PATCH",
            f"{REPO}/check-runs/77",
            {"status": "completed", "conclusion": "success", "output": {"title": "t"}},
        ),
        "'summary' is a required property",
    ),
    "completed without a conclusion": (
        _request("PATCH", f"{REPO}/check-runs/77", {"status": "completed"}),
        "is not valid under any of the given schemas",
    ),
    "unknown path": (
        _request("GET", f"{REPO}/no-such-thing"),
        "no such path",
    ),
    "body where none is defined": (
        _request("GET", f"{REPO}/pulls/2/files", {"x": 1}),
        "defines none",
    ),
}


@pytest.mark.parametrize("name", sorted(INVALID))
def test_requests_the_description_forbids_are_rejected(name: str) -> None:
    request_, expected = INVALID[name]
    problems = check_request(request_, API_URL)
    assert problems, f"{name}: the guard let it through"
    assert any(expected in p for p in problems), problems
