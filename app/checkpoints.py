"""Signed checkpoints of the ledger: when to sign one, signing it, and finding the latest.

`maybe_checkpoint` runs in the caller's transaction and signs a new checkpoint when
`ledger.checkpoint.should_checkpoint` says so (at most every `checkpoint_every_seconds` or
`checkpoint_every_entries`). It locks the ledger head first, so concurrent callers (several
workers, several processes) never sign the same size twice, and the size it signs is a committed
one whose nodes are all stored. The root comes from O(log n) stored nodes.

`checkpoint_after_delivery` is the worker's one-line hook: its own short transaction, and a
failure is logged, never raised (the delivery it follows is already committed). `checkpoint_loop`
runs in the app's lifespan and does the same every `checkpoint_every_seconds`, so the last entries
of an idle log are signed too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.inbox import utcnow
from app.ledger_keys import LedgerKey, signing_key
from app.ledger_queries import tree_root
from app.ledger_store import HEAD_ROW_ID
from app.settings import Settings
from app.tables import LedgerCheckpoint, LedgerHead
from ledger.checkpoint import should_checkpoint, sign_checkpoint

log = logging.getLogger("maestro.ledger")


def created_at_utc(row: LedgerCheckpoint) -> datetime:
    """When the checkpoint was signed, timezone-aware (SQLite returns naive UTC datetimes)."""
    moment = row.created_at
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def latest_checkpoint(session: AsyncSession) -> LedgerCheckpoint | None:
    """The most recent signed checkpoint (largest size, then newest), or None."""
    query = select(LedgerCheckpoint).order_by(
        LedgerCheckpoint.size.desc(), LedgerCheckpoint.id.desc()
    )
    return (await session.execute(query.limit(1))).scalar_one_or_none()


async def _locked_size(session: AsyncSession) -> int:
    query = select(LedgerHead.size).where(LedgerHead.id == HEAD_ROW_ID)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    size = await session.scalar(query)  # a column, not an ORM row that could be stale
    if size is None:
        raise RuntimeError("the ledger head row is missing: run `maestro db upgrade`")
    return int(size)


async def _sign(
    session: AsyncSession, key: LedgerKey, size: int, now: datetime
) -> LedgerCheckpoint:
    root = await tree_root(session, size)
    note = sign_checkpoint(key.origin, size, root, key.private)
    row = LedgerCheckpoint(size=size, root_hash=root.hex(), note=note, created_at=now)
    session.add(row)
    await session.flush()
    return row


async def maybe_checkpoint(
    session: AsyncSession, settings: Settings, key: LedgerKey, now: datetime | None = None
) -> LedgerCheckpoint | None:
    """Sign and store a checkpoint if one is due; the caller commits. Empty logs are skipped."""
    now = now or utcnow()
    size = await _locked_size(session)
    if size == 0:
        return None
    last = await latest_checkpoint(session)
    if not should_checkpoint(
        last.size if last else None,
        created_at_utc(last) if last else None,
        size,
        now,
        settings.checkpoint_every_seconds,
        settings.checkpoint_every_entries,
    ):
        return None
    return await _sign(session, key, size, now)


async def checkpoint_now(
    session: AsyncSession, key: LedgerKey, now: datetime | None = None
) -> tuple[LedgerCheckpoint, bool]:
    """A checkpoint of the current size regardless of the cadence: (checkpoint, newly signed).

    When the latest checkpoint already covers the current size it is returned as it is (there is
    nothing new to sign).
    """
    size = await _locked_size(session)
    last = await latest_checkpoint(session)
    if last is not None and last.size == size:
        return last, False
    return await _sign(session, key, size, now or utcnow()), True


async def checkpoint_is_due(session: AsyncSession, settings: Settings, now: datetime) -> bool:
    """A lock-free read of whether `maybe_checkpoint` would sign (to skip write transactions)."""
    head = await session.scalar(select(LedgerHead.size).where(LedgerHead.id == HEAD_ROW_ID))
    if not head:
        return False
    last = await latest_checkpoint(session)
    return should_checkpoint(
        last.size if last else None,
        created_at_utc(last) if last else None,
        int(head),
        now,
        settings.checkpoint_every_seconds,
        settings.checkpoint_every_entries,
    )


async def ensure_checkpoint(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, now: datetime | None = None
) -> LedgerCheckpoint | None:
    """Sign a checkpoint if one is due, then return the latest one (None for an empty log)."""
    now = now or utcnow()
    async with sessions() as session:
        due = await checkpoint_is_due(session, settings, now)
        latest = None if due else await latest_checkpoint(session)
    if not due:
        return latest
    async with sessions() as session, session.begin():
        await maybe_checkpoint(session, settings, signing_key(settings), now)
        return await latest_checkpoint(session)


async def checkpoint_after_delivery(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, now: datetime | None = None
) -> None:
    """Checkpoint if due (after each delivery, and on every tick of `checkpoint_loop`).

    Never raises: a missed checkpoint is retried after the next delivery or tick.
    """
    try:
        await ensure_checkpoint(sessions, settings, now)
    except Exception:
        log.exception("could not sign a ledger checkpoint")


async def checkpoint_loop(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    tick: Callable[[float], Awaitable[object]] = asyncio.sleep,
    clock: Callable[[], datetime] = utcnow,
) -> None:
    """Every `checkpoint_every_seconds` (waited for with `tick`), sign a checkpoint if due.

    Runs until cancelled; does nothing when the seconds cadence is off. Tests pass a `tick` that
    returns at once and a `clock` they move, instead of sleeping.
    """
    every = settings.checkpoint_every_seconds
    if every is None:
        return
    while True:
        await tick(every)
        await checkpoint_after_delivery(sessions, settings, clock())
