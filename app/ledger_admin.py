"""Payload retention: purge payloads older than a cut-off without touching any hash.

The leaf and chain hashes commit to a payload only through its `payload_sha256`, which stays in
the header, so setting `payload` to NULL leaves every hash, proof and checkpoint valid; the API
then shows `purged: true` with the hash. The purge itself is recorded as a ledger entry in the
same transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.inbox import utcnow
from app.ledger_store import LedgerRecord, append
from app.tables import LedgerEntry
from ledger.entry import format_time


async def purge(
    session: AsyncSession, before: datetime, dry_run: bool = False, now: datetime | None = None
) -> int:
    """Purge the payloads of entries whose time is before `before`; returns how many."""
    cutoff = format_time(before)
    # Ledger times are fixed-width RFC 3339 UTC strings, so text order is time order.
    where = (LedgerEntry.time < cutoff, LedgerEntry.payload.is_not(None))
    if dry_run:
        return int(await session.scalar(select(func.count()).where(*where)) or 0)
    now = now or utcnow()
    result = await session.execute(
        update(LedgerEntry)
        .where(*where)
        .values(payload=None, purged_at=now)
        .execution_options(synchronize_session=False)
    )
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if count:
        await append(
            session,
            LedgerRecord(kind="ledger.purged", payload={"before": cutoff, "entries": count}),
            now=now,
        )
    return count
