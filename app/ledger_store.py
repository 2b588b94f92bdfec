"""Appends ledger entries in the caller's transaction: state change and record commit together.

`append()` is the one function every action goes through. It locks the single `ledger_head` row
(`SELECT … FOR UPDATE` on PostgreSQL; SQLite's BEGIN IMMEDIATE already holds the write lock), so
with any number of writers the sequence stays gap-free and the chain linear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.inbox import utcnow
from app.tables import LedgerEntry, LedgerHead, LedgerNode
from checks.pii.scrub import scrub
from ledger.canonical import canonical_json
from ledger.entry import (
    EntryHeader,
    chain_hash,
    format_time,
    leaf_hash,
    payload_sha256,
)
from ledger.merkle import NodeID, append_nodes, append_plan

HEAD_ROW_ID = 1


@dataclass(frozen=True)
class LedgerRecord:
    """What an action wants recorded."""

    kind: str
    actor: str = "maestro"
    installation_id: int | None = None
    repository: str | None = None
    subject: str | None = None
    payload: dict[str, Any] | None = None


async def _lock_head(session: AsyncSession) -> LedgerHead:
    query = select(LedgerHead).where(LedgerHead.id == HEAD_ROW_ID)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    head = (await session.execute(query)).scalar_one_or_none()
    if head is None:
        raise RuntimeError("the ledger head row is missing: run `maestro db upgrade`")
    return head


async def append(
    session: AsyncSession, record: LedgerRecord, *, now: datetime | None = None
) -> LedgerEntry:
    """Append `record` as the next entry; the caller commits (or rolls back) the transaction."""
    # No secret or personal data enters the ledger: mask before hashing (checks.pii.scrub).
    payload = scrub(record.payload or {})
    head = await _lock_head(session)
    header = EntryHeader(
        seq=head.size,
        time=format_time(now or utcnow()),
        actor=record.actor,
        installation_id=record.installation_id,
        repository=record.repository,
        kind=record.kind,
        subject=record.subject,
        payload_sha256=payload_sha256(payload),
    )
    prev = bytes(head.head_hash)
    entry_hash = chain_hash(prev, header)
    row = LedgerEntry(
        seq=header.seq,
        time=header.time,
        actor=header.actor,
        installation_id=header.installation_id,
        repository=header.repository,
        kind=header.kind,
        subject=header.subject,
        payload=canonical_json(payload).decode("utf-8"),  # exactly the hashed bytes
        payload_sha256=header.payload_sha256,
        prev_hash=prev.hex(),
        entry_hash=entry_hash.hex(),
        leaf_hash=leaf_hash(header).hex(),
    )
    session.add(row)
    await _store_tree_nodes(session, header.seq, leaf_hash(header))
    head.size += 1
    head.head_hash = entry_hash
    await session.flush()
    return row


async def fetch_nodes(session: AsyncSession, ids: list[NodeID]) -> dict[NodeID, bytes]:
    """The stored hashes of the given perfect-subtree nodes (one indexed query).

    One `level = ? AND idx IN (…)` term per level: SQLite does not use the primary key for a
    row-value `(level, idx) IN (…)`, which would make every append scan the node table.
    """
    if not ids:
        return {}
    by_level: dict[int, list[int]] = {}
    for node in ids:
        by_level.setdefault(node.level, []).append(node.index)
    terms = [
        and_(LedgerNode.level == level, LedgerNode.idx.in_(indices))
        for level, indices in by_level.items()
    ]
    rows = await session.execute(
        select(LedgerNode.level, LedgerNode.idx, LedgerNode.hash).where(or_(*terms))
    )
    return {NodeID(level, idx): bytes(value) for level, idx, value in rows}


async def _store_tree_nodes(session: AsyncSession, size: int, leaf: bytes) -> None:
    """Store the leaf and every perfect subtree it completes: O(log n), amortised 2 rows."""
    plan = append_plan(size)
    nodes = await fetch_nodes(session, plan)
    missing = [n for n in plan if n not in nodes]
    if missing:
        raise RuntimeError(f"ledger tree is missing nodes {missing}: the node table is damaged")
    for node, value in append_nodes(size, leaf, [nodes[n] for n in plan]):
        session.add(LedgerNode(level=node.level, idx=node.index, hash=value))
