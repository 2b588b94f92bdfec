"""GitHub App authentication: the app JWT (RS256) and cached installation access tokens."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import jwt

from app.github_api import RetryingGitHubAPI

# Refresh an installation token this long before GitHub says it expires.
TOKEN_REFRESH_MARGIN_SECONDS = 300
JWT_LIFETIME_SECONDS = 540  # GitHub allows at most 10 minutes
JWT_CLOCK_SKEW_SECONDS = 60


@dataclass
class _CachedToken:
    token: str
    expires_at: float


class AppAuth:
    """Issues app JWTs and installation tokens; tokens are cached until shortly before expiry."""

    def __init__(
        self,
        app_id: int,
        private_key: str,
        api: RetryingGitHubAPI,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app_id = app_id
        self._private_key = private_key
        self._api = api
        self._clock = clock
        self._tokens: dict[int, _CachedToken] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    def app_jwt(self) -> str:
        now = int(self._clock())
        claims = {
            "iat": now - JWT_CLOCK_SKEW_SECONDS,
            "exp": now + JWT_LIFETIME_SECONDS,
            "iss": str(self.app_id),
        }
        return jwt.encode(claims, self._private_key, algorithm="RS256")

    async def installation_token(self, installation_id: int) -> str:
        cached = self._tokens.get(installation_id)
        if cached and cached.expires_at - TOKEN_REFRESH_MARGIN_SECONDS > self._clock():
            return cached.token
        lock = self._locks.setdefault(installation_id, asyncio.Lock())
        async with lock:
            cached = self._tokens.get(installation_id)
            if cached and cached.expires_at - TOKEN_REFRESH_MARGIN_SECONDS > self._clock():
                return cached.token
            response = await self._api.post(
                "/app/installations/{installation_id}/access_tokens",
                {"installation_id": installation_id},
                data={},
                jwt=self.app_jwt(),
            )
            expires = datetime.fromisoformat(response["expires_at"].replace("Z", "+00:00"))
            self._tokens[installation_id] = _CachedToken(response["token"], expires.timestamp())
            return str(response["token"])

    def forget(self, installation_id: int) -> None:
        """Drop a cached token (the installation was deleted or suspended)."""
        self._tokens.pop(installation_id, None)
