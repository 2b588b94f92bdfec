"""Read-side ledger queries: the log size, entries in the auditor-API shape, roots and proofs.

Roots and proofs are assembled from the stored perfect-subtree nodes (`ledger_nodes`): one
`SELECT … WHERE (level, idx) IN (…)` of O(log n) rows per request, never a recomputation over
the leaves. Stored nodes never change once written, so any earlier tree size can be proven.

Rows are turned into the flat shape of `ledger.entry.Entry.to_api` without validating them:
a tampered row must reach the verifier as it is stored, so that it can name it.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.ledger_store import HEAD_ROW_ID
from app.tables import LedgerEntry, LedgerHead, LedgerNode
from ledger.merkle import EMPTY_ROOT, NodeID, consistency_plan, inclusion_plan, root_plan


class TreeDamaged(Exception):
    """Stored tree nodes needed for a root or proof are missing."""


async def log_size(session: AsyncSession) -> int:
    """The number of entries, as recorded on the ledger head."""
    size = await session.scalar(select(LedgerHead.size).where(LedgerHead.id == HEAD_ROW_ID))
    if size is None:
        raise RuntimeError("the ledger head row is missing: run `maestro db upgrade`")
    return int(size)


# Plain columns, not ORM objects: several times faster for the long scans of `verify`.
_COLUMNS = (
    LedgerEntry.seq,
    LedgerEntry.time,
    LedgerEntry.actor,
    LedgerEntry.installation_id,
    LedgerEntry.repository,
    LedgerEntry.kind,
    LedgerEntry.subject,
    LedgerEntry.payload,
    LedgerEntry.payload_sha256,
    LedgerEntry.prev_hash,
    LedgerEntry.entry_hash,
)


def entry_to_api(row: Any) -> dict[str, Any]:
    """A stored row in the auditor-API shape (`Entry.to_api`), exactly as stored."""
    payload: Any = None
    if row.payload is not None:
        try:
            payload = json.loads(row.payload)
        except ValueError:
            payload = row.payload  # corrupted text: let the verifier report it
    return {
        "seq": row.seq,
        "time": row.time,
        "actor": row.actor,
        "installation_id": row.installation_id,
        "repository": row.repository,
        "kind": row.kind,
        "subject": row.subject,
        "payload_sha256": row.payload_sha256,
        "payload": payload,
        "purged": row.payload is None,
        "prev_hash": row.prev_hash,
        "entry_hash": row.entry_hash,
    }


async def entries_between(session: AsyncSession, start: int, end: int) -> list[Any]:
    """Rows with `start <= seq < end`, in order."""
    query = (
        select(*_COLUMNS)
        .where(LedgerEntry.seq >= start, LedgerEntry.seq < end)
        .order_by(LedgerEntry.seq)
    )
    return list(await session.execute(query))


async def entries_after(session: AsyncSession, after: int, limit: int) -> list[Any]:
    """Up to `limit` rows with `seq > after`, in order (keyset paging that survives gaps)."""
    query = select(*_COLUMNS).where(LedgerEntry.seq > after).order_by(LedgerEntry.seq)
    return list(await session.execute(query.limit(limit)))


async def get_entry(session: AsyncSession, seq: int) -> LedgerEntry | None:
    return await session.get(LedgerEntry, seq)


async def fetch_nodes(session: AsyncSession, ids: list[NodeID]) -> dict[NodeID, bytes]:
    """The stored hashes of the given nodes in one indexed query.

    Written as `(level = l AND idx IN (…)) OR …`, one term per level (at most log2 n terms):
    SQLite answers a row-value `(level, idx) IN (…)` with a full table scan, but this form
    with primary-key lookups; PostgreSQL uses the index for both.
    """
    by_level: dict[int, list[int]] = {}
    for node in ids:
        by_level.setdefault(node.level, []).append(node.index)
    if not by_level:
        return {}
    terms = [
        and_(LedgerNode.level == level, LedgerNode.idx.in_(indices))
        for level, indices in by_level.items()
    ]
    query = select(LedgerNode.level, LedgerNode.idx, LedgerNode.hash).where(or_(*terms))
    return {NodeID(level, idx): bytes(value) for level, idx, value in await session.execute(query)}


async def _fetch(session: AsyncSession, ids: list[NodeID]) -> dict[NodeID, bytes]:
    nodes = await fetch_nodes(session, ids)
    missing = [n for n in ids if n not in nodes]
    if missing:
        shown = ", ".join(f"({n.level}, {n.index})" for n in missing[:5])
        raise TreeDamaged(f"ledger tree nodes are missing: {shown}")
    return nodes


async def tree_root(session: AsyncSession, size: int) -> bytes:
    """The RFC 6962 root of the first `size` entries, from O(log n) stored nodes."""
    if size == 0:
        return EMPTY_ROOT
    plan = root_plan(size)
    return plan.assemble(await _fetch(session, plan.node_ids))[0]


async def inclusion(session: AsyncSession, seq: int, size: int) -> tuple[bytes, list[bytes], bytes]:
    """(leaf hash, audit path, root) for entry `seq` in the tree of `size`; one node query."""
    plan, rplan, leaf = inclusion_plan(seq, size), root_plan(size), NodeID(0, seq)
    nodes = await _fetch(session, list({*plan.node_ids, *rplan.node_ids, leaf}))
    return nodes[leaf], plan.assemble(nodes), rplan.assemble(nodes)[0]


async def consistency(
    session: AsyncSession, first: int, second: int
) -> tuple[list[bytes], bytes, bytes]:
    """(proof, first root, second root) between two tree sizes; one node query."""
    plan, p1, p2 = consistency_plan(first, second), root_plan(first), root_plan(second)
    nodes = await _fetch(session, list({*plan.node_ids, *p1.node_ids, *p2.node_ids}))
    return plan.assemble(nodes), p1.assemble(nodes)[0], p2.assemble(nodes)[0]
