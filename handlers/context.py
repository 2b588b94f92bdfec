"""What every handler receives besides the event: state, GitHub access and settings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.settings import Settings
from handlers.port import GitHubPort


class MissingInstallation(Exception):
    """The payload names no installation, so Maestro cannot act on GitHub for it."""


@dataclass
class HandlerContext:
    sessions: async_sessionmaker[AsyncSession]
    settings: Settings
    delivery_id: str
    github_for: Callable[[int], Awaitable[GitHubPort]]
    outcomes: list[str] = field(default_factory=list)
    attempt: int = 1  # this delivery's attempt (the inbox worker counts from 1)
    max_attempts: int = 1  # after this one the worker parks the delivery as failed

    @property
    def last_attempt(self) -> bool:
        return self.attempt >= self.max_attempts

    # Drops a cached installation token (the installation was deleted or suspended).
    forget_token: Callable[[int], None] | None = None
    # team memberships read during this delivery: ('org/team', login) -> GitHub's state
    memberships: dict[tuple[str, str], str] = field(default_factory=dict)

    async def github(self, installation_id: int | None) -> GitHubPort:
        if installation_id is None:
            raise MissingInstallation(
                "the payload has no installation id; is the webhook configured on the GitHub App "
                "(not on a repository)?"
            )
        return await self.github_for(installation_id)
