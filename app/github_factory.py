"""Builds GitHub API clients: app-level (JWT) and per-installation (token) ports."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx

from app.github_api import RetryingGitHubAPI
from app.github_auth import AppAuth
from app.github_port import RestGitHubPort
from app.settings import Settings


class GitHubFactory:
    """One shared httpx client; a fresh port per installation with a cached token."""

    def __init__(
        self,
        settings: Settings,
        http: httpx.AsyncClient | None = None,
        sleeper: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.settings = settings
        self.http = http or httpx.AsyncClient(timeout=httpx.Timeout(30.0))
        self._sleeper = sleeper
        self._auth: AppAuth | None = None

    def api(self, oauth_token: str | None = None) -> RetryingGitHubAPI:
        return RetryingGitHubAPI(
            self.http,
            base_url=self.settings.github_api_url,
            oauth_token=oauth_token,
            max_retries=self.settings.github_max_retries,
            max_wait=self.settings.github_max_wait_seconds,
            sleeper=self._sleeper,
        )

    @property
    def auth(self) -> AppAuth:
        if self._auth is None:
            if not (self.settings.app_id and self.settings.private_key):
                raise RuntimeError(
                    "GitHub App credentials are not configured: "
                    + ", ".join(self.settings.missing_github_settings())
                )
            self._auth = AppAuth(self.settings.app_id, self.settings.private_key, self.api())
        return self._auth

    def forget(self, installation_id: int) -> None:
        """Drop the installation's cached token (it was deleted or suspended)."""
        if self._auth is not None:
            self._auth.forget(installation_id)

    async def for_installation(self, installation_id: int) -> RestGitHubPort:
        token = await self.auth.installation_token(installation_id)
        return RestGitHubPort(self.api(oauth_token=token))

    async def aclose(self) -> None:
        await self.http.aclose()
