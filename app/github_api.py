"""gidgethub's httpx client with Maestro's retry policy for rate limits and 5xx answers."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import httpx
from gidgethub import HTTPException
from gidgethub.httpx import GitHubAPI

from app.retry_policy import retry_delay

log = logging.getLogger("maestro.github")

USER_AGENT = "maestro-proof-app"


class RetryingGitHubAPI(GitHubAPI):
    """Retries 5xx with bounded exponential backoff and waits out rate limits it can afford."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        base_url: str,
        oauth_token: str | None = None,
        max_retries: int = 4,
        max_wait: float = 60.0,
        sleeper: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(client, USER_AGENT, oauth_token=oauth_token, base_url=base_url)
        self._max_retries = max_retries
        self._max_wait = max_wait
        self._sleeper = sleeper
        self._clock = clock

    async def sleep(self, seconds: float) -> None:
        await self._sleeper(seconds)

    async def handle_rate_limit_error(
        self, *, method: str, url: str, exception: HTTPException, attempt: int
    ) -> bool:
        message = " ".join(str(a) for a in exception.args[1:]) if exception.args else ""
        delay = retry_delay(
            int(exception.status_code),
            exception.headers or {},
            message,
            attempt,
            self._clock(),
            max_retries=self._max_retries,
            max_wait=self._max_wait,
        )
        if delay is None:
            return False
        log.warning(
            "GitHub answered %s to %s %s; retrying in %.1fs (attempt %d)",
            int(exception.status_code),
            method,
            url,
            delay,
            attempt,
        )
        await self.sleep(delay)
        return True
