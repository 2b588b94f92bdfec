"""Read-side ledger queries: the log size, entries in the auditor-API shape, roots and proofs.

Roots and proofs are assembled from the stored perfect-subtree nodes (`ledger_nodes`, read with
`app.ledger_store.fetch_nodes`): one indexed query of O(log n) rows per request, never a
recomputation over the leaves. Stored nodes never change once written, so any earlier tree size
can be proven.

Rows are read as plain tuples in `ledger.entry_checks.STORED_FIELDS` order and turned into the
flat shape of `ledger.entry.Entry.to_api` without validating them (`stored_to_api`): a tampered
row must reach the verifier as it is stored, so that it can name it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.ledger_store import HEAD_ROW_ID, fetch_nodes
from app.tables import LedgerEntry, LedgerHead
from ledger.entry_checks import STORED_FIELDS, stored_to_api
from ledger.merkle import EMPTY_ROOT, NodeID, consistency_plan, inclusion_plan, root_plan


class TreeDamaged(Exception):
    """Stored rows or tree nodes needed for an answer are missing (the API answers 503)."""


async def log_size(session: AsyncSession) -> int:
    """The number of entries, as recorded on the ledger head."""
    size = await session.scalar(select(LedgerHead.size).where(LedgerHead.id == HEAD_ROW_ID))
    if size is None:
        raise RuntimeError("the ledger head row is missing: run `maestro db upgrade`")
    return int(size)


# Plain columns, not ORM objects: several times faster for the long scans of `verify`.
_COLUMNS = tuple(getattr(LedgerEntry, name) for name in STORED_FIELDS)


def entry_to_api(row: Any) -> dict[str, Any]:
    """A stored row or ORM entry in the auditor-API shape (`Entry.to_api`), exactly as stored."""
    return stored_to_api(tuple(getattr(row, name) for name in STORED_FIELDS))


async def entries_between(session: AsyncSession, start: int, end: int) -> list[Any]:
    """Rows with `start <= seq < end`, in order."""
    query = (
        select(*_COLUMNS)
        .where(LedgerEntry.seq >= start, LedgerEntry.seq < end)
        .order_by(LedgerEntry.seq)
    )
    return list(await session.execute(query))


async def stored_rows_after(session: AsyncSession, after: int, limit: int) -> list[Sequence[Any]]:
    """Up to `limit` stored rows (`STORED_FIELDS` tuples) with `seq > after`, in order.

    Keyset paging: a deleted row shows up as a gap, not as a shifted page.
    """
    query = select(*_COLUMNS).where(LedgerEntry.seq > after).order_by(LedgerEntry.seq)
    connection = await session.connection()  # Core rows: no ORM loading per row
    return list((await connection.execute(query.limit(limit))).all())  # one fetchall


async def get_entry(session: AsyncSession, seq: int) -> LedgerEntry | None:
    return await session.get(LedgerEntry, seq)


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
