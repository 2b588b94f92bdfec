"""Feeds the pure verifier (`ledger.walk`, `ledger.verify`) from a database.

Database verification reads one consistent snapshot (`app.db.read_snapshot`: it never blocks
writers) in `seq` order, keyset page by page, so a deleted row shows up as a gap, not as a shifted
page. Each page of stored rows goes straight into a `ChainWalk`: plain tuples, checked column by
column (`ledger.columns`). On SQLite the pages are read through the driver (`advance_sqlite`):
rows and node summaries in one call into its thread, the next page read there while the walk
verifies this one. A SQLite file is first verified in aligned blocks by worker processes
(`advance_blocks`, `app.ledger_blocks`); when they cannot vouch for every block, the
sequential pass does the whole work and explains. Memory stays O(page + log n).

The node check is what only the database side can do. The walk records every perfect subtree it
completes; the stored tree nodes must be exactly those: on SQLite each page's nodes are compared
per level in one query, and only a page whose nodes differ is looked at node by node; elsewhere
`NodeCheck` compares them, one indexed query per page. The lowest differing node is named with
the first entry under it (its ancestors differ only because they sit above it), and so is a
missing one. Once every row verified, the head row must agree with the rows and no node may
exist past the last entry (a removed tail leaves its nodes behind). `DatabaseVerification` keeps
all of this between calls, so a verification can be resumed as the log grows (the `GET /ledger`
page does). Verification over the auditor API is in `app.ledger_remote`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import read_snapshot
from app.ledger_blocks import (
    nodes_match,
    sqlite_driver,
    sqlite_node_rows,
    sqlite_page,
    sqlite_path,
    usable_cpus,
    walk_in_blocks,
)
from app.ledger_queries import log_size, stored_rows_after
from app.tables import LedgerNode
from ledger.verify import (
    ParsedCheckpoint,
    VerifyReport,
    build_report,
    checkpoint_sizes,
    parse_checkpoints,
)
from ledger.walk import ChainWalk

PAGE = 5000
_MAX_LEVEL = 64  # BIGINT indices: no tree has more levels


@dataclass
class Finding:
    """A problem found outside the entries themselves (node table, head row, remote proofs)."""

    seq: int | None
    message: str


def merge(report: VerifyReport, findings: list[Finding]) -> VerifyReport:
    """Fold extra findings into the report: the lowest sequence number wins."""
    if not findings:
        return report
    first = min(findings, key=lambda f: (f.seq is None, f.seq or 0))
    if not report.ok and (
        first.seq is None
        or (report.first_bad_seq is not None and first.seq >= report.first_bad_seq)
    ):
        return report
    # A node or head finding is more precise than a checkpoint's suspect range.
    return report.model_copy(
        update={
            "ok": False,
            "first_bad_seq": first.seq,
            "problem": None if report.ok else report.problem,
            "message": first.message,
        }
    )


def _bad_node(level: int, idx: int) -> str:
    start, end = idx << level, ((idx + 1) << level) - 1
    return (
        f"entry {start}: stored tree node ({level}, {idx}) over entries {start}..{end} does not "
        "match the entries: the node table or the entries were altered, so proofs served from "
        "it are wrong"
    )


def _missing(level: int, idx: int) -> str:
    return (
        f"entry {idx << level}: tree node ({level}, {idx}) is missing from the node table, so "
        "proofs that need it cannot be served"
    )


def _past_end(level: int, idx: int, rows: int) -> str:
    start, end = idx << level, ((idx + 1) << level) - 1
    return (
        f"a tree node ({level}, {idx}) exists for entries {start}..{end}, past the last entry "
        f"{rows - 1}: entries were removed from the end"
    )


@dataclass
class NodeCheck:
    """Compares the nodes a `ChainWalk` completed with the stored ones; keeps the first problem.

    Problems are ranked by (first entry, level, index), as a level-by-level scan would find them.
    """

    want: dict[int, int] = field(default_factory=dict)
    """Per level, the next node index a gap-free level holds."""
    bad: dict[int, set[int]] = field(default_factory=dict)
    """Per level, the indices of stored nodes that differ from the recomputed ones."""
    first: tuple[tuple[int, int, int], Finding] | None = None

    def note(self, seq: int, level: int, idx: int, message: str) -> None:
        key = (seq, level, idx)
        if self.first is None or key < self.first[0]:
            self.first = (key, Finding(seq, message))

    @staticmethod
    async def stored(session: AsyncSession, start: int, count: int) -> Sequence[Any]:
        """The stored nodes that entries start … start+count-1 complete, by level and index."""
        end = start + count
        terms = [
            and_(LedgerNode.level == lv, LedgerNode.idx >= start >> lv, LedgerNode.idx < end >> lv)
            for lv in range(end.bit_length())
            if end >> lv > start >> lv
        ]
        if not terms:
            return []
        query = (
            select(LedgerNode.level, LedgerNode.idx, LedgerNode.hash)
            .where(or_(*terms))
            .order_by(LedgerNode.level, LedgerNode.idx)
        )
        return (await (await session.connection()).execute(query)).all()  # Core rows, one fetch

    def matched(self, start: int, levels: list[list[bytes]]) -> None:
        """Record that the stored nodes are exactly those completed since size `start` (what
        `compare` concludes when every stored node is there and equal)."""
        for level, hashes in enumerate(levels):
            if hashes:
                self.want[level] = (start >> level) + len(hashes)

    def matched_log(self, size: int) -> None:
        """Record that the stored nodes are exactly those of a log of `size` entries (what the
        blocks of `app.ledger_blocks.walk_in_blocks` established)."""
        self.want = {level: size >> level for level in range(size.bit_length())}

    def compare(self, start: int, levels: list[list[bytes]], rows: Sequence[Any]) -> None:
        """Check the nodes completed since size `start` (`ChainWalk.take_nodes`) against `rows`
        (`stored`, for at least those entries)."""
        bounds = {lv: (start >> lv, (start >> lv) + len(h)) for lv, h in enumerate(levels) if h}
        level, hashes, lo, hi, want = -1, levels[0], 0, 0, 0
        below: set[int] = set()
        here: set[int] = set()
        seen: set[int] = set()
        for row_level, idx, value in rows:
            if row_level != level:
                self._close(level, want, bounds)
                if row_level not in bounds:
                    level = -1
                    continue
                level, hashes, (lo, hi) = row_level, levels[row_level], bounds[row_level]
                seen.add(level)
                want = self.want.get(level, 0)
                below, here = self.bad.get(level - 1, set()), self.bad.setdefault(level, set())
            if level < 0 or idx >= hi:  # past what the walk verified in this page
                continue
            if idx > want:
                self.note(want << level, level, want, _missing(level, want))
            want = idx + 1
            if value != hashes[idx - lo]:
                here.add(idx)
                if not {2 * idx, 2 * idx + 1} & below:
                    self.note(idx << level, level, idx, _bad_node(level, idx))
        self._close(level, want, bounds)
        for level in bounds.keys() - seen:  # levels without any stored node in this page
            self._close(level, self.want.get(level, 0), bounds)

    def _close(self, level: int, want: int, bounds: dict[int, tuple[int, int]]) -> None:
        """End a level's share of a page: a gap up to its end is a missing node."""
        if level < 0:
            return
        hi = bounds[level][1]
        if want < hi:
            self.note(want << level, level, want, _missing(level, want))
            want = hi
        self.want[level] = want

    async def at_end(self, session: AsyncSession, rows: int) -> list[Finding]:
        """Problems of a log whose `rows` rows all verified: the head row, nodes past the end."""
        findings: list[Finding] = []
        head = await log_size(session)
        if head != rows:
            what = "entries are missing at the end" if head > rows else "rows exist past the head"
            findings.append(
                Finding(
                    min(head, rows),
                    f"the ledger head says {head} entries but the table holds {rows}: {what}",
                )
            )
        past = or_(
            *(
                and_(LedgerNode.level == lv, LedgerNode.idx >= rows >> lv)
                for lv in range(_MAX_LEVEL)
            )
        )
        query = select(LedgerNode.level, LedgerNode.idx).where(past)
        first = (
            await session.execute(query.order_by(LedgerNode.level, LedgerNode.idx).limit(1))
        ).first()
        if first is not None:
            findings.append(Finding(rows, _past_end(first[0], first[1], rows)))
        return findings


class DatabaseVerification:
    """A verification of the stored ledger that can be resumed as the log grows.

    `advance` verifies the rows after the verified prefix and the tree nodes they complete;
    `report` adds the end-of-log checks and the checkpoints. Rows verified before are not read
    again: a later edit of them is found by a new (full) verification only.
    """

    def __init__(self, root_sizes: set[int] | None = None) -> None:
        self.walk = ChainWalk(root_sizes or (), keep_nodes=True)
        self.nodes = NodeCheck()

    async def advance(self, session: AsyncSession, page: int = PAGE) -> int:
        """Verify the rows not verified yet (up to the first bad one); returns how many it read."""
        walk, read = self.walk, self.walk.read
        after = walk.size - 1
        while walk.bad is None:
            rows = await stored_rows_after(session, after, page)
            if not rows:
                break
            start = walk.size
            walk.feed_stored(rows)
            first, levels = walk.take_nodes()
            self.nodes.compare(first, levels, await NodeCheck.stored(session, start, len(rows)))
            after = rows[-1][0]
        return walk.read - read

    async def advance_sqlite(self, session: AsyncSession, page: int = PAGE) -> int | None:
        """`advance` on SQLite, reading through the driver: each page's rows and node summaries
        in one call into aiosqlite's thread, the next page read there while this one is verified
        (the same transaction, so the same snapshot). None when the driver offers no such call.
        """
        driver = await sqlite_driver(session)
        if driver is None:
            return None
        run, conn = driver
        walk, read = self.walk, self.walk.read
        pending = asyncio.ensure_future(run(sqlite_page, conn, walk.size - 1, walk.size, page))
        while True:
            rows, summaries, start = await pending
            if not rows:
                break
            if walk.bad is None and start == walk.size:  # read ahead the next page meanwhile
                after = rows[-1][0]
                pending = asyncio.ensure_future(run(sqlite_page, conn, after, after + 1, page))
                await asyncio.sleep(0)  # let it reach the driver's thread
            walk.feed_stored(rows)
            first, levels = walk.take_nodes()
            if nodes_match(first, levels, summaries):
                self.nodes.matched(first, levels)
            else:  # look node by node, to name the first bad one
                stored = await run(sqlite_node_rows, conn, first, walk.size)
                self.nodes.compare(first, levels, stored)
            if walk.bad is not None:
                break
        if not pending.done():
            await pending
        return walk.read - read

    async def advance_blocks(self, session: AsyncSession, workers: int) -> bool:
        """Verify a whole SQLite ledger file in aligned blocks, in `workers` processes (1: in
        this one), with `app.ledger_blocks.walk_in_blocks`. False, with nothing verified, when
        it is not a file, too small to be worth it, or when any block is not as it should be:
        the sequential pass then does the whole work and explains."""
        if self.walk.size:
            return False
        path = sqlite_path(session)
        driver = await sqlite_driver(session)
        if path is None or driver is None:
            return False
        walk = await walk_in_blocks(session, driver, path, self.walk.wanted, max(workers, 1))
        if walk is None:
            return False
        self.walk = walk
        self.nodes.matched_log(walk.size)
        return True

    async def report(self, session: AsyncSession, parsed: list[ParsedCheckpoint]) -> VerifyReport:
        findings = [self.nodes.first[1]] if self.nodes.first else []
        if self.walk.bad is None:  # every row verified: the end of the log can be judged
            findings += await self.nodes.at_end(session, self.walk.size)
        return merge(build_report(self.walk, parsed), findings)


async def verify_database(
    sessions: async_sessionmaker[AsyncSession],
    checkpoint: str | None,
    earlier: list[str],
    public_key: Any,
    origin: str | None,
    *,
    workers: int | None = None,
) -> VerifyReport:
    """Verify the whole ledger stored in a database (entries, chain, nodes, checkpoints).

    A SQLite file is verified in blocks by `workers` processes (default: one per usable CPU; 1:
    block after block in this process); see `DatabaseVerification.advance_blocks`."""
    parsed = parse_checkpoints(checkpoint, earlier, public_key, origin)
    run = DatabaseVerification(checkpoint_sizes(parsed))
    async with read_snapshot(sessions) as session:
        done = False
        if session.get_bind().dialect.name == "sqlite":
            cpus = usable_cpus() if workers is None else workers
            done = await run.advance_blocks(session, cpus)
            done = done or await run.advance_sqlite(session) is not None
        if not done:
            await run.advance(session)
        return await run.report(session, parsed)
