"""Appends ledger entries in the caller's transaction: state change and record commit together.

`append()` is the one function every action goes through. It moves the single `ledger_head` row
from the size and entry hash it builds on to the new ones with a conditional
`UPDATE … WHERE size = :size AND head_hash = :prev`, which takes the row's lock (on SQLite the
BEGIN IMMEDIATE transaction already holds the write lock); only when the head is not what it
expected does it read it (`SELECT … FOR UPDATE` on PostgreSQL) and build on what it finds. With
any number of writers the sequence stays gap-free and the chain linear, and the lock is held
until the caller's transaction ends.

Round trips are what an append costs (the hashing takes microseconds), so it makes few: the head
it expects is the one this transaction or this process last wrote, and the tree's compact range
at a head (the O(log n) perfect-subtree hashes an append merges with) is remembered per head. A
head (size, entry hash) determines every entry before it and so the whole tree: a remembered range
is valid wherever that head is found again; after another process appended, the conditional
update or the lookup simply misses and the head and nodes are read. On SQLite, when the range at
the expected head is remembered, the head update, the entry and its nodes are written in one call
into the driver's thread (`_sqlite_append`); otherwise the entry and node rows are written at the
next flush (the commit, or before the session's next query) as batched INSERTs.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.inbox import utcnow
from app.tables import LedgerEntry, LedgerHead, LedgerNode
from checks.pii.scrub import scrub
from ledger.canonical import canonical_json
from ledger.entry import EntryHeader, format_time, leaf_data
from ledger.merkle import NodeID, append_nodes, append_plan, compact_range, hash_leaf

HEAD_ROW_ID = 1
_TX_HEAD = "maestro.ledger_head"  # session.info key: (transaction, size, entry hash) it wrote
_last_head: list[tuple[int, bytes]] = []  # the head this process last wrote
_RANGES: OrderedDict[tuple[int, bytes], tuple[bytes, ...]] = OrderedDict()
_RANGES_KEPT = 64
# Built once: constructing and cache-keying the statement per append cost more than running it.
_MOVE_HEAD = (
    update(LedgerHead)
    .where(
        LedgerHead.id == HEAD_ROW_ID,
        LedgerHead.size == bindparam("old_size"),
        LedgerHead.head_hash == bindparam("old_hash"),
    )
    .values(size=bindparam("new_size"), head_hash=bindparam("new_hash"))
)


@dataclass(frozen=True)
class LedgerRecord:
    """What an action wants recorded."""

    kind: str
    actor: str = "maestro"
    installation_id: int | None = None
    repository: str | None = None
    subject: str | None = None
    payload: dict[str, Any] | None = None


async def _read_head(session: AsyncSession) -> tuple[int, bytes]:
    """The head's (size, entry hash), locked on PostgreSQL (columns: no ORM identity map)."""
    query = select(LedgerHead.size, LedgerHead.head_hash).where(LedgerHead.id == HEAD_ROW_ID)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = (await session.execute(query)).one_or_none()
    if row is None:
        raise RuntimeError("the ledger head row is missing: run `maestro db upgrade`")
    return int(row[0]), bytes(row[1])


async def _move_head(session: AsyncSession, size: int, prev: bytes, new: bytes) -> bool:
    """Move the head from (size, prev) to (size + 1, new); False when it is not at (size, prev)."""
    params = {"old_size": size, "old_hash": prev, "new_size": size + 1, "new_hash": new}
    # On the connection: a plain Core statement, so rows added earlier in this transaction are
    # not flushed first (they go out together at the commit).
    result = await (await session.connection()).execute(_MOVE_HEAD, params)
    return bool(result.rowcount)


def _expected_head(session: AsyncSession) -> tuple[int, bytes] | None:
    """The head this transaction last wrote, else the one this process last wrote."""
    transaction = session.sync_session.get_transaction()
    mine = session.info.get(_TX_HEAD)
    if transaction is not None and transaction.is_active and mine and mine[0] is transaction:
        return mine[1], mine[2]
    return _last_head[0] if _last_head else None


def _entry(
    record: LedgerRecord, size: int, prev: bytes, moment: str, text: bytes
) -> tuple[EntryHeader, bytes, bytes]:
    """(header, leaf hash, entry hash) of the entry at `size` after `prev`."""
    header = EntryHeader(
        seq=size,
        time=moment,
        actor=record.actor,
        installation_id=record.installation_id,
        repository=record.repository,
        kind=record.kind,
        subject=record.subject,
        payload_sha256=hashlib.sha256(text).hexdigest(),
    )
    data = leaf_data(header)  # serialised once for both hashes
    return header, hash_leaf(data), hashlib.sha256(prev + data).digest()  # leaf, chain hash


async def append(
    session: AsyncSession, record: LedgerRecord, *, now: datetime | None = None
) -> LedgerEntry:
    """Append `record` as the next entry; the caller commits (or rolls back) the transaction.

    The head row is updated at once (and stays locked); the entry and its tree nodes reach the
    database at the next flush: the commit, or the session's next query.
    """
    # No secret or personal data enters the ledger: mask before hashing (checks.pii.scrub).
    text = canonical_json(scrub(record.payload or {}))  # stored exactly as it is hashed
    moment = format_time(now or utcnow())
    expected = _expected_head(session)
    size, prev = expected if expected is not None else await _read_head(session)
    header, leaf, entry_hash = _entry(record, size, prev, moment, text)
    if session.get_bind().dialect.name == "sqlite":
        row = _row(header, text, prev, entry_hash, leaf)
        if await _sqlite_append(session, row, prev, entry_hash, leaf):
            _moved(session, size, entry_hash)
            return row
    if not await _move_head(session, size, prev, entry_hash):
        size, prev = await _read_head(session)  # another writer moved it: build on theirs
        header, leaf, entry_hash = _entry(record, size, prev, moment, text)
        if not await _move_head(session, size, prev, entry_hash):
            raise RuntimeError("the ledger head moved while locked")
    _moved(session, size, entry_hash)
    row = _row(header, text, prev, entry_hash, leaf)
    session.add(row)
    await _store_tree_nodes(session, size, prev, leaf, entry_hash)
    return row


def _moved(session: AsyncSession, size: int, entry_hash: bytes) -> None:
    """Remember the head this transaction and this process wrote last."""
    session.info[_TX_HEAD] = (session.sync_session.get_transaction(), size + 1, entry_hash)
    _last_head[:] = [(size + 1, entry_hash)]


def _row(header: EntryHeader, text: bytes, prev: bytes, entry_hash: bytes, leaf: bytes) -> Any:
    """The stored row of an entry."""
    return LedgerEntry(
        seq=header.seq,
        time=header.time,
        actor=header.actor,
        installation_id=header.installation_id,
        repository=header.repository,
        kind=header.kind,
        subject=header.subject,
        payload=text.decode("utf-8"),
        payload_sha256=header.payload_sha256,
        prev_hash=prev.hex(),
        entry_hash=entry_hash.hex(),
        leaf_hash=leaf.hex(),
    )


async def fetch_nodes(session: AsyncSession, ids: list[NodeID]) -> dict[NodeID, bytes]:
    """The stored hashes of the given perfect-subtree nodes (one indexed query).

    One `level = L AND idx IN (…)` term per level: SQLite does not use the primary key for a
    row-value `(level, idx) IN (…)`, which would make every append scan the node table. The
    integers are written into the SQL text: building that takes microseconds, where a SQLAlchemy
    expression with bound IN lists of varying length takes milliseconds per proof to build,
    cache-key and compile.
    """
    if not ids:
        return {}
    by_level: dict[int, list[int]] = {}
    for node in ids:
        by_level.setdefault(int(node.level), []).append(int(node.index))
    where = " OR ".join(
        f"(level = {level} AND idx IN ({','.join(map(str, indices))}))"
        for level, indices in by_level.items()
    )
    await session.flush()  # node rows this transaction added but has not written yet
    connection = await session.connection()
    rows: Any = await connection.exec_driver_sql(
        f"SELECT level, idx, hash FROM {LedgerNode.__tablename__} WHERE {where}"
    )
    return {NodeID(level, idx): bytes(value) for level, idx, value in rows}


async def _compact_range(session: AsyncSession, size: int, head: bytes) -> tuple[bytes, ...]:
    """The hashes of the perfect subtrees covering entries 0 … size-1 (largest first)."""
    cached = _RANGES.get((size, head))
    if cached is not None:
        return cached
    ids = compact_range(0, size)
    nodes = await fetch_nodes(session, ids)
    missing = [n for n in append_plan(size) if n not in nodes]
    if missing:
        raise RuntimeError(f"ledger tree is missing nodes {missing}: the node table is damaged")
    if len(nodes) < len(ids):  # a node this append does not merge with is missing: no range
        return tuple(nodes[n] for n in ids[len(ids) - len(append_plan(size)) :])
    return tuple(nodes[n] for n in ids)


def _grow(
    size: int, hashes: tuple[bytes, ...], leaf: bytes, new_head: bytes
) -> list[tuple[NodeID, bytes]]:
    """The nodes appending `leaf` at `size` completes, given the compact range `hashes`; a whole
    range is remembered for the next head."""
    merged = len(append_plan(size))  # the trailing one bits of size: the ranges merged with
    siblings = list(reversed(hashes[len(hashes) - merged :]))
    new_nodes = append_nodes(size, leaf, siblings)
    if len(hashes) == (size).bit_count():  # a whole range: remember the next one
        _RANGES[(size + 1, new_head)] = (*hashes[: len(hashes) - merged], new_nodes[-1][1])
        while len(_RANGES) > _RANGES_KEPT:
            _RANGES.popitem(last=False)
    return new_nodes


async def _store_tree_nodes(
    session: AsyncSession, size: int, head: bytes, leaf: bytes, new_head: bytes
) -> None:
    """Store the leaf and every perfect subtree it completes: O(log n), amortised 2 rows."""
    hashes = await _compact_range(session, size, head)
    for node, value in _grow(size, hashes, leaf, new_head):
        session.add(LedgerNode(level=node.level, idx=node.index, hash=value))


_COLUMNS = (
    "seq, time, actor, installation_id, repository, kind, subject, payload, payload_sha256, "
    "prev_hash, entry_hash, leaf_hash"
)
_SQLITE_MOVE = (
    f"UPDATE {LedgerHead.__tablename__} SET size = ?, head_hash = ? "
    "WHERE id = ? AND size = ? AND head_hash = ?"
)
_SQLITE_ENTRY = (
    f"INSERT INTO {LedgerEntry.__tablename__} ({_COLUMNS}) VALUES ({', '.join('?' * 12)})"
)
_SQLITE_NODE = f"INSERT INTO {LedgerNode.__tablename__} (level, idx, hash) VALUES (?, ?, ?)"


def _sqlite_write(
    conn: sqlite3.Connection,
    move: tuple[Any, ...],
    entry: tuple[Any, ...],
    nodes: list[tuple[int, int, bytes]],
) -> bool:
    """In the driver's thread: move the head, and only if it moved, insert the entry and nodes."""
    if conn.execute(_SQLITE_MOVE, move).rowcount != 1:
        return False
    conn.execute(_SQLITE_ENTRY, entry)
    conn.executemany(_SQLITE_NODE, nodes)
    return True


async def _sqlite_append(
    session: AsyncSession, row: LedgerEntry, prev: bytes, entry_hash: bytes, leaf: bytes
) -> bool:
    """SQLite, when the compact range at the expected head is known: the head update, the entry
    and its nodes in one call into aiosqlite's thread, in the session's transaction (a round trip
    each through SQLAlchemy was most of an append's time). False, with nothing written, when the
    range is not known or the head is not where it was expected: the general path takes over.
    """
    size = row.seq
    hashes = _RANGES.get((size, prev))
    if hashes is None:
        return False
    connection = await session.connection()  # begins the transaction (BEGIN IMMEDIATE)
    driver: Any = (await connection.get_raw_connection()).driver_connection
    # aiosqlite's private pair: `_execute` runs a function in its thread on `_conn`, the
    # sqlite3 connection. Another aiosqlite without them takes the general path.
    run = getattr(driver, "_execute", None)
    conn = getattr(driver, "_conn", None)
    if run is None or not isinstance(conn, sqlite3.Connection):
        return False
    nodes = [(n.level, n.index, h) for n, h in _grow(size, hashes, leaf, entry_hash)]
    entry = (
        row.seq,
        row.time,
        row.actor,
        row.installation_id,
        row.repository,
        row.kind,
        row.subject,
        row.payload,
        row.payload_sha256,
        row.prev_hash,
        row.entry_hash,
        row.leaf_hash,
    )
    move = (size + 1, entry_hash, HEAD_ROW_ID, size, prev)
    return bool(await run(_sqlite_write, conn, move, entry, nodes))
