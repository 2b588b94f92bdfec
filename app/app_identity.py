"""The GitHub App's name and address for the status page.

They come from `MAESTRO_APP_NAME` / `MAESTRO_APP_SLUG` (written to `.env` by the setup flow) or,
for an app configured by hand, from `GET /app` with the app JWT. The answer is cached for the
life of the process; a failure is remembered for a few minutes and the page shows the App ID, so
the status page never breaks or waits long because GitHub is unreachable.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.github_factory import GitHubFactory
from app.settings import Settings

log = logging.getLogger("maestro.pages")

LOOKUP_TIMEOUT_SECONDS = 5.0
RETRY_FAILED_LOOKUP_AFTER_SECONDS = 300.0


@dataclass(frozen=True)
class AppIdentity:
    """What the status page says about the app; `name` is None when it is not known."""

    app_id: int | None
    name: str | None = None
    html_url: str | None = None


class AppIdentityCache:
    """Looks the app up on GitHub at most once (and again only after a failure has aged)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._found: AppIdentity | None = None
        self._failed_at: float | None = None

    async def get(self, settings: Settings, github: GitHubFactory) -> AppIdentity:
        if settings.app_name:
            html_url = f"{settings.github_web_url}/apps/{settings.app_slug}"
            return AppIdentity(
                settings.app_id, settings.app_name, html_url if settings.app_slug else None
            )
        if self._found is not None and self._found.app_id == settings.app_id:
            return self._found
        now = self._clock()
        if (
            self._failed_at is not None
            and now - self._failed_at < RETRY_FAILED_LOOKUP_AFTER_SECONDS
        ):
            return AppIdentity(settings.app_id)
        try:
            data = await asyncio.wait_for(
                github.api().getitem("/app", jwt=github.auth.app_jwt()),
                timeout=LOOKUP_TIMEOUT_SECONDS,
            )
            name = str(data["name"])
        except Exception as exc:  # the page must render without GitHub
            log.warning("could not look up the GitHub App's name: %s", exc or type(exc).__name__)
            self._failed_at = now
            return AppIdentity(settings.app_id)
        html_url = data.get("html_url")
        self._found = AppIdentity(settings.app_id, name, str(html_url) if html_url else None)
        self._failed_at = None
        return self._found
