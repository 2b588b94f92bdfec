"""Helpers shared by the ledger app tests (imported as `ledger_app.helpers`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.ledger_store import LedgerRecord
from app.tables import LedgerEntry
from ledger.entry import EntryHeader, leaf_hash

Fill = Callable[[int], Awaitable[None]]
"""`fill(n)` appends n more entries."""
Cli = Callable[..., Awaitable[tuple[int, str, str]]]
"""`await cli("ledger", "verify")` → (exit code, stdout, stderr)."""


def record(i: int) -> LedgerRecord:
    """A realistic entry: alternating actors, repositories and payload shapes."""
    return LedgerRecord(
        kind="checkrun.completed" if i % 3 else "comment.posted",
        actor="maestro" if i % 2 else "octocat",
        installation_id=1 if i % 4 else None,
        repository="Codertocat/Hello-World",
        subject=f"pr:Codertocat/Hello-World#{i}",
        payload={"n": i, "title": f"{i} of 6 obligations failed", "ok": i % 5 == 0},
    )


async def ledger_leaves(sessions: async_sessionmaker[AsyncSession]) -> list[bytes]:
    """Leaf hashes recomputed from every stored header (the naive side of a comparison)."""
    async with sessions() as session:
        rows = (await session.execute(select(LedgerEntry).order_by(LedgerEntry.seq))).scalars()
        return [
            leaf_hash(
                EntryHeader(
                    seq=r.seq,
                    time=r.time,
                    actor=r.actor,
                    installation_id=r.installation_id,
                    repository=r.repository,
                    kind=r.kind,
                    subject=r.subject,
                    payload_sha256=r.payload_sha256,
                )
            )
            for r in rows
        ]
