"""App JWT, installation-token caching and the retry policy for rate limits and 5xx."""

from __future__ import annotations

import httpx
import jwt
import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st
from support.github import API_URL, APP_ID, contents_response

from app.github_api import RetryingGitHubAPI
from app.github_auth import AppAuth
from app.github_port import RestGitHubPort
from app.retry_policy import SECONDARY_LIMIT_DEFAULT_WAIT, retry_delay


def _auth(private_key_pem: str, clock: list[float], sleeps: list[float]) -> AppAuth:
    async def sleeper(seconds: float) -> None:
        sleeps.append(seconds)

    api = RetryingGitHubAPI(
        httpx.AsyncClient(), base_url=API_URL, sleeper=sleeper, clock=lambda: clock[0]
    )
    return AppAuth(APP_ID, private_key_pem, api, clock=lambda: clock[0])


def test_app_jwt_claims(private_key_pem: str) -> None:
    from cryptography.hazmat.primitives import serialization

    auth = _auth(private_key_pem, [1_700_000_000.0], [])
    token = auth.app_jwt()
    public = (
        serialization.load_pem_private_key(private_key_pem.encode(), None)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    claims = jwt.decode(token, public, algorithms=["RS256"], options={"verify_exp": False})
    assert claims == {"iss": str(APP_ID), "iat": 1_700_000_000 - 60, "exp": 1_700_000_000 + 540}


async def test_installation_token_is_cached_until_near_expiry(
    private_key_pem: str, github: respx.MockRouter
) -> None:
    clock = [1_700_000_000.0]
    route = github.post("/app/installations/7/access_tokens").mock(
        side_effect=[
            httpx.Response(201, json={"token": "ghs_one", "expires_at": "2023-11-14T23:13:20Z"}),
            httpx.Response(201, json={"token": "ghs_two", "expires_at": "2023-11-15T00:13:20Z"}),
        ]
    )
    auth = _auth(private_key_pem, clock, [])
    # 2023-11-14T23:13:20Z is 1_700_003_600: the token lives one hour.
    assert await auth.installation_token(7) == "ghs_one"
    clock[0] += 3000  # 10 minutes before expiry: still cached
    assert await auth.installation_token(7) == "ghs_one"
    assert route.call_count == 1
    clock[0] += 400  # inside the 5-minute refresh margin
    assert await auth.installation_token(7) == "ghs_two"
    assert route.call_count == 2


async def test_primary_rate_limit_waits_until_reset(
    private_key_pem: str, github: respx.MockRouter
) -> None:
    clock = [1_700_000_000.0]
    sleeps: list[float] = []
    route = github.post("/app/installations/7/access_tokens").mock(
        side_effect=[
            httpx.Response(
                403,
                headers={
                    "x-ratelimit-remaining": "0",
                    "x-ratelimit-limit": "5000",
                    "x-ratelimit-reset": str(int(clock[0]) + 20),
                },
                json={"message": "API rate limit exceeded"},
            ),
            httpx.Response(201, json={"token": "ghs_ok", "expires_at": "2099-01-01T00:00:00Z"}),
        ]
    )
    auth = _auth(private_key_pem, clock, sleeps)
    assert await auth.installation_token(7) == "ghs_ok"
    assert sleeps == [21.0] and route.call_count == 2


async def test_rate_limit_longer_than_allowed_gives_up_for_the_inbox_to_retry(
    private_key_pem: str, github: respx.MockRouter
) -> None:
    from gidgethub import BadRequest

    sleeps: list[float] = []
    github.post("/app/installations/7/access_tokens").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "3600"}, json={"message": "x"})
    )
    auth = _auth(private_key_pem, [1_700_000_000.0], sleeps)
    with pytest.raises(BadRequest):
        await auth.installation_token(7)
    assert sleeps == []


def test_plain_403_is_not_retried() -> None:
    assert (
        retry_delay(
            403, {}, "Resource not accessible by integration", 1, 0, max_retries=3, max_wait=60
        )
        is None
    )


def test_secondary_limit_without_retry_after_waits_a_minute() -> None:
    delay = retry_delay(
        403, {}, "You have exceeded a secondary rate limit", 1, 0, max_retries=3, max_wait=120
    )
    assert delay == SECONDARY_LIMIT_DEFAULT_WAIT


@given(
    status=st.sampled_from([500, 502, 503, 504]),
    attempt=st.integers(min_value=1, max_value=20),
    max_retries=st.integers(min_value=0, max_value=10),
    max_wait=st.floats(min_value=0, max_value=1000),
)
def test_server_errors_back_off_exponentially_and_boundedly(
    status: int, attempt: int, max_retries: int, max_wait: float
) -> None:
    delay = retry_delay(status, {}, "", attempt, 0, max_retries=max_retries, max_wait=max_wait)
    if attempt > max_retries or 2 ** (attempt - 1) > max_wait:
        assert delay is None
    else:
        assert delay == 2 ** (attempt - 1)


@given(
    headers=st.dictionaries(
        st.sampled_from(
            ["retry-after", "x-ratelimit-remaining", "x-ratelimit-reset", "Retry-After"]
        ),
        st.text(max_size=12),
    )
)
def test_retry_policy_never_raises_on_arbitrary_headers(headers: dict[str, str]) -> None:
    for status in (403, 429, 500):
        delay = retry_delay(status, headers, "", 1, 1_700_000_000, max_retries=3, max_wait=60)
        assert delay is None or 0 <= delay <= 60


def test_gidgethub_floor_has_the_retry_hook_the_client_overrides() -> None:
    """`RetryingGitHubAPI` relies on `handle_rate_limit_error(..., attempt=)`, added in
    gidgethub 6.0 (5.4 has no such hook: the override would silently never run)."""
    import inspect
    import tomllib
    from pathlib import Path

    from gidgethub.abc import GitHubAPI
    from packaging.requirements import Requirement

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    dependencies = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    requirement = next(Requirement(d) for d in dependencies if d.startswith("gidgethub"))
    assert not requirement.specifier.contains("5.4.0"), "pyproject allows a gidgethub without it"
    assert requirement.specifier.contains("6.0.0")
    hook = inspect.signature(GitHubAPI.handle_rate_limit_error)
    assert {"method", "url", "exception", "attempt"} <= set(hook.parameters)
    assert "handle_rate_limit_error" in RetryingGitHubAPI.__dict__


async def test_files_at_a_commit_are_read_once_per_port_but_branches_every_time(
    github: respx.MockRouter,
) -> None:
    sha = "a" * 40
    route = github.get(url__regex=r".*/repos/o/r/contents/pkg\.json.*").mock(
        side_effect=lambda request: contents_response("{}", "pkg.json")
    )
    async with httpx.AsyncClient() as http:
        port = RestGitHubPort(RetryingGitHubAPI(http, base_url=API_URL, oauth_token="t"))
        assert await port.get_file("o/r", "pkg.json", sha) == b"{}"
        assert await port.get_file("o/r", "pkg.json", sha) == b"{}"
        assert route.call_count == 1
        assert await port.get_file("o/r", "pkg.json", "main") == b"{}"
        assert await port.get_file("o/r", "pkg.json", "main") == b"{}"
        assert route.call_count == 3
