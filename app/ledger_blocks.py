"""Reading a SQLite ledger for verification through `sqlite3` itself, and verifying it in blocks.

These functions run outside the event loop: in aiosqlite's thread (`sqlite_page`,
`sqlite_node_rows`, called by `app.ledger_verify`), or in a worker process or thread
(`verify_block`, one aligned block of the log per call: `walk_in_blocks` spreads the blocks over
every core and joins them in order).

The stored tree nodes are compared level by level in one pass of SQLite's own C code: per level,
the concatenation of the stored hashes, their number and how many are not 32-byte blobs
(`node_summaries`). Equal concatenations of 32-byte hashes, as many as the walk completed, are
equal nodes. Anything else is looked at node by node (`sqlite_node_rows` and
`app.ledger_verify.NodeCheck`), which names the node.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import sqlite3
import sys
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.ledger_store import HEAD_ROW_ID
from app.tables import LedgerEntry, LedgerHead, LedgerNode
from ledger.entry_checks import STORED_FIELDS
from ledger.walk import Block, ChainWalk

ROWS_AFTER = (
    f"SELECT {', '.join(STORED_FIELDS)} FROM {LedgerEntry.__tablename__} "
    "WHERE seq > ? ORDER BY seq LIMIT ?"
)
_ROWS_UPTO = (
    f"SELECT {', '.join(STORED_FIELDS)} FROM {LedgerEntry.__tablename__} "
    "WHERE seq > ? AND seq < ? ORDER BY seq LIMIT ?"
)
_ENTRIES = LedgerEntry.__tablename__
_NODES = LedgerNode.__tablename__
_HEAD = LedgerHead.__tablename__
# One level's nodes idx in [?, ?): their hashes concatenated in idx order (the primary key's scan
# order; SQLite aggregates rows in the order the scan yields them), their number, and how many
# are not 32-byte blobs.
_LEVEL_SUMMARY = (
    "SELECT {level}, CAST(group_concat(hash, '') AS BLOB), count(*), "
    f"total(typeof(hash) != 'blob' OR length(hash) != 32) FROM {_NODES} "
    "WHERE level = {level} AND idx >= {lo} AND idx < {hi}"
)
BLOCK_PAGE = 2048  # small pages stay in the CPU's caches between reading and checking
BLOCK = 1 << 15
"""Entries per block of a parallel verification (a power of two: blocks must be aligned)."""
PARALLEL_MIN = 2 * BLOCK
"""Smaller logs are verified in one pass: starting processes would cost more than it saves."""

Driver = tuple[Callable[..., Awaitable[Any]], sqlite3.Connection]
"""aiosqlite's call into its thread, and the `sqlite3` connection there."""

Summaries = dict[int, tuple[bytes | None, int, float]]
"""Per level: (concatenated hashes, how many nodes, how many are not 32-byte blobs)."""


def level_ranges(start: int, end: int, min_level: int = 0) -> list[tuple[int, int, int]]:
    """(level, lo, hi) of the nodes that entries `start` … `end - 1` complete: idx in [lo, hi),
    from level `min_level` up."""
    return [
        (level, start >> level, end >> level)
        for level in range(min_level, end.bit_length())
        if end >> level > start >> level
    ]


def node_summaries(conn: sqlite3.Connection, start: int, end: int, min_level: int = 0) -> Summaries:
    """The stored nodes that entries `start` … `end - 1` complete, summarised per level (from
    level `min_level` up)."""
    ranges = level_ranges(start, end, min_level)
    if not ranges:
        return {}
    query = " UNION ALL ".join(
        _LEVEL_SUMMARY.format(level=level, lo=lo, hi=hi) for level, lo, hi in ranges
    )
    return {level: (blob, count, odd) for level, blob, count, odd in conn.execute(query)}


def nodes_match(start: int, levels: list[list[bytes]], summaries: Summaries) -> bool:
    """Whether the stored nodes summarised are exactly the nodes a walk completed since `start`
    (`ChainWalk.take_nodes`)."""
    for level, hashes in enumerate(levels):
        if not hashes:
            continue
        blob, count, odd = summaries.get(level, (None, 0, 0.0))
        if count != len(hashes) or odd or blob != b"".join(hashes):
            return False
    return True


def sqlite_page(
    conn: sqlite3.Connection, after: int, start: int, limit: int
) -> tuple[list[Any], Summaries, int]:
    """Up to `limit` stored rows after seq `after`, and the summaries of the stored nodes that
    entries `start` … `start + len(rows) - 1` complete."""
    rows = conn.execute(ROWS_AFTER, (after, limit)).fetchall()
    return rows, node_summaries(conn, start, start + len(rows)), start


def sqlite_node_rows(conn: sqlite3.Connection, start: int, end: int) -> list[Any]:
    """(level, idx, hash) of the stored nodes that entries `start` … `end - 1` complete, by level
    and idx (as `app.ledger_verify.NodeCheck.stored`)."""
    terms = [
        f"(level = {level} AND idx >= {lo} AND idx < {hi})"
        for level, lo, hi in level_ranges(start, end)
    ]
    if not terms:
        return []
    query = f"SELECT level, idx, hash FROM {_NODES} WHERE {' OR '.join(terms)} ORDER BY level, idx"
    return conn.execute(query).fetchall()


def verify_block(path: str, start: int, end: int, root_sizes: list[int]) -> Block | None:
    """Verify entries `start` … `end - 1` of the SQLite ledger at `path` and the tree nodes they
    complete, in this process; the block, or None when anything in it is not as it should be.

    `start` must be a multiple of a power of two at least `end - start` (see `ChainWalk`). The
    block starts from its first row's own `prev_hash`: whether that links to the entry before is
    for whoever joins the blocks to decide. None says only that this block needs the sequential
    verification, which finds and explains what is wrong.
    """
    conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    collecting = gc.isenabled()
    gc.disable()  # nothing here makes cycles; collections would only rescan the rows
    try:
        conn.execute("BEGIN")  # one snapshot for the block's rows and nodes
        first = conn.execute(f"SELECT prev_hash FROM {_ENTRIES} WHERE seq = ?", (start,)).fetchone()
        if first is None or not isinstance(first[0], str) or len(first[0]) != 64:
            return None
        try:
            prev = bytes.fromhex(first[0])
        except ValueError:
            return None
        walk = ChainWalk(root_sizes, keep_nodes=True, start=start, prev=prev)
        while walk.size < end:
            rows = conn.execute(_ROWS_UPTO, (walk.size - 1, end, BLOCK_PAGE)).fetchall()
            page_start = walk.size
            if not rows or not walk.feed_stored(rows):
                return None
            first_node, levels = walk.take_nodes()
            if not nodes_match(first_node, levels, node_summaries(conn, page_start, walk.size)):
                return None
        return walk.block()
    finally:
        conn.close()
        if collecting:
            gc.enable()


def usable_cpus() -> int:
    """How many CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def sqlite_path(session: AsyncSession) -> str | None:
    """The file of a SQLite session's database, or None (in memory, a URI, another database)."""
    bind = session.get_bind()
    url = bind.engine.url
    name = url.database
    if url.get_backend_name() != "sqlite" or not name or name == ":memory:":
        return None
    if name.startswith("file:") or not os.path.isfile(name):
        return None
    return name


async def sqlite_driver(session: AsyncSession) -> Driver | None:
    """aiosqlite's way into its thread and the `sqlite3` connection there, or None.

    Both are private (`_execute`, `_conn`; see `ledger_store._sqlite_append`): they are checked
    before use, and without them callers take the general path.
    """
    connection = await session.connection()
    driver: Any = (await connection.get_raw_connection()).driver_connection
    run: Callable[..., Awaitable[Any]] | None = getattr(driver, "_execute", None)
    conn = getattr(driver, "_conn", None)
    if run is None or not isinstance(conn, sqlite3.Connection):
        return None
    return run, conn


async def walk_in_blocks(
    session: AsyncSession, driver: Driver, path: str, root_sizes: Iterable[int], workers: int
) -> ChainWalk | None:
    """A walk over every entry of the SQLite ledger at `path`, verified in aligned blocks of
    `BLOCK` entries by `workers` processes (1: in this process, block after block), or None
    when the blocks cannot vouch for the whole log.

    The log's size is read in `session`'s snapshot; entries below it do not change when the log
    grows, so the blocks' own snapshots agree with it. The blocks are joined in order (each must
    start from the entry before it, `ChainWalk.join`), and the nodes the joins complete, above
    the blocks' own, are compared with the stored ones here. A log whose head row and rows
    disagree, or that is smaller than `PARALLEL_MIN`, is left to the sequential pass.
    """
    run, conn = driver
    size, last = await run(_sizes, conn)
    block_size = BLOCK
    if size < PARALLEL_MIN or last != size - 1:
        return None
    wanted = sorted(root_sizes)
    walk = ChainWalk(wanted, keep_nodes=True)
    jobs = [
        (path, start, end, [w for w in wanted if start < w <= end])
        for start in range(0, size, block_size)
        for end in [min(start + block_size, size)]
    ]
    try:
        if workers > 1 and sys.platform == "linux":
            blocks = await _in_processes(jobs, workers, walk)
        else:  # forking is only safe to rely on on Linux
            blocks = await _here(jobs, walk)
    except (BrokenProcessPool, sqlite3.Error, OSError):
        return None  # the sequential pass meets the same trouble and reports it
    if not blocks:
        return None
    first, levels = walk.take_nodes()
    above = await run(node_summaries, conn, first, size, block_size.bit_length())
    return walk if nodes_match(first, levels, above) else None


Job = tuple[str, int, int, list[int]]


async def _here(jobs: list[Job], walk: ChainWalk) -> bool:
    """Verify the blocks one after the other in a thread of this process; join them to `walk`.
    False at the first that is not right."""
    for job in jobs:
        block = await asyncio.to_thread(verify_block, *job)
        if block is None or not walk.join(block):
            return False
    return True


async def _in_processes(jobs: list[Job], workers: int, walk: ChainWalk) -> bool:
    """`_here` with the blocks verified side by side in `workers` forked processes (they inherit
    the loaded modules instead of importing the app again, and touch nothing of this process but
    its code: their own sqlite3 connections, no threads)."""
    loop = asyncio.get_running_loop()
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    futures = [loop.run_in_executor(pool, verify_block, *job) for job in jobs]
    try:
        for future in futures:
            block = await future
            if block is None or not walk.join(block):
                return False
        return True
    finally:
        for future in futures:
            future.cancel()  # blocks not started yet, and no unretrieved results
        pool.shutdown(wait=True, cancel_futures=True)


def _sizes(conn: sqlite3.Connection) -> tuple[int, int | None]:
    """(the head row's size, the last entry's seq), in the snapshot of `conn`'s transaction."""
    head = conn.execute(f"SELECT size FROM {_HEAD} WHERE id = {HEAD_ROW_ID}").fetchone()
    last = conn.execute(f"SELECT max(seq) FROM {_ENTRIES}").fetchone()
    return (head[0] if head else 0), last[0]
