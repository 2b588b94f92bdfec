"""Reads and writes of Maestro's own state (installations, repositories, check runs).

Every write here is paired by the caller with a ledger append in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.inbox import utcnow
from app.tables import CheckRun, Installation, Repository


def parse_time(value: str | None) -> datetime | None:
    """GitHub's ISO 8601 timestamps ("2021-04-29T02:32:50Z")."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


async def upsert_installation(session: AsyncSession, installation: dict[str, Any]) -> Installation:
    account = installation.get("account") or {}
    row = await session.get(Installation, installation["id"])
    if row is None:
        row = Installation(id=installation["id"], created_at=utcnow())
        session.add(row)
    row.account_login = account.get("login", "")
    row.account_type = account.get("type", "")
    row.repository_selection = installation.get("repository_selection")
    suspended = installation.get("suspended_at")
    row.suspended_at = (
        datetime.fromisoformat(suspended.replace("Z", "+00:00")) if suspended else None
    )
    await session.flush()
    return row


async def delete_installation(session: AsyncSession, installation_id: int) -> None:
    await session.execute(delete(Repository).where(Repository.installation_id == installation_id))
    await session.execute(delete(Installation).where(Installation.id == installation_id))


async def set_suspended(
    session: AsyncSession, installation: dict[str, Any], when: datetime | None
) -> None:
    row = await upsert_installation(session, installation)
    row.suspended_at = when


async def add_repositories(
    session: AsyncSession, installation_id: int, repositories: list[dict[str, Any]]
) -> None:
    for repo in repositories:
        row = await session.get(Repository, repo["id"])
        if row is None:
            row = Repository(id=repo["id"], installation_id=installation_id)
            session.add(row)
        row.installation_id = installation_id
        row.full_name = repo["full_name"]
        row.private = bool(repo.get("private", False))
    await session.flush()


async def remove_repositories(
    session: AsyncSession, installation_id: int, repositories: list[dict[str, Any]]
) -> None:
    ids = [r["id"] for r in repositories]
    if ids:
        await session.execute(
            delete(Repository).where(
                Repository.installation_id == installation_id, Repository.id.in_(ids)
            )
        )


async def find_check_run(
    session: AsyncSession, repository: str, head_sha: str, status: str | None = None
) -> CheckRun | None:
    query = (
        select(CheckRun)
        .where(CheckRun.repository == repository, CheckRun.head_sha == head_sha)
        .order_by(CheckRun.created_at.desc())
        .limit(1)
    )
    if status:
        query = query.where(CheckRun.status == status)
    return (await session.execute(query)).scalar_one_or_none()


async def save_check_run(
    session: AsyncSession,
    *,
    check_run_id: int,
    installation_id: int,
    repository: str,
    pull_number: int,
    head_sha: str,
    status: str,
    conclusion: str | None = None,
    title: str | None = None,
) -> CheckRun:
    now = utcnow()
    row = await session.get(CheckRun, check_run_id)
    if row is None:
        row = CheckRun(id=check_run_id, created_at=now)
        session.add(row)
    row.installation_id = installation_id
    row.repository = repository
    row.pull_number = pull_number
    row.head_sha = head_sha
    row.status = status
    row.conclusion = conclusion
    row.title = title
    row.updated_at = now
    await session.flush()
    return row
