"""What the `GET /ledger` page shows: the head, the latest checkpoints and a verification status.

A full verification (chain, payload hashes, stored tree nodes, head, latest checkpoint) reads
every row, which takes seconds at 10⁶ entries: too slow for every page view. `LedgerMonitor` runs
it once per process, keeps the resumable `DatabaseVerification`, and on later views verifies only
the rows appended since (with the tree nodes they complete), then re-checks the end of the log and
the latest checkpoint. The status says what was verified and when; rows verified earlier are not
read again until a full pass is asked for (`?full=1`) — `maestro ledger verify` is the
independent full check.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.checkpoints import created_at_utc
from app.db import read_snapshot
from app.inbox import utcnow
from app.ledger_keys import LedgerKey
from app.ledger_queries import TreeDamaged, log_size, tree_root
from app.ledger_store import HEAD_ROW_ID
from app.ledger_verify import DatabaseVerification
from app.tables import LedgerCheckpoint, LedgerHead
from ledger.checkpoint import CheckpointError, parse_and_verify_checkpoint
from ledger.verify import VerifyReport, parse_checkpoints

RECENT_CHECKPOINTS = 10


@dataclass(frozen=True)
class CheckpointRow:
    """One signed checkpoint as the page lists it."""

    size: int
    signed_at: datetime
    root_hash: str
    signature_ok: bool
    signature_problem: str | None
    root_matches: bool | None
    """Whether the root recomputed from the entries equals the signed one (None: not known)."""


@dataclass(frozen=True)
class Verification:
    """The last verification and what it covered."""

    report: VerifyReport
    verified: int
    """Entries 0 … verified-1 passed every check."""
    full_at: datetime
    full_seconds: float
    checked_at: datetime
    added: int
    """Rows read by the last (incremental) check."""


@dataclass(frozen=True)
class Chart:
    """A polyline of tree size over the recent checkpoints, in a `width` × `height` box."""

    points: str
    width: int
    height: int
    max_size: int


@dataclass(frozen=True)
class LedgerStatus:
    size: int
    head_hash: str
    root_hash: str | None
    """The root of the stored tree at the head (None when its nodes are missing)."""
    origin: str
    verifier_key: str
    checkpoints: list[CheckpointRow]
    verification: Verification
    chart: Chart | None


@dataclass
class LedgerMonitor:
    """One per app process: the resumable verification behind the page."""

    run: DatabaseVerification | None = None
    full_at: datetime | None = None
    full_seconds: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def check(
        self, sessions: async_sessionmaker[AsyncSession], key: LedgerKey, *, full: bool = False
    ) -> Verification:
        """Verify what was appended since the last check (everything on the first or a full one)."""
        async with self.lock:
            started, now = time.perf_counter(), utcnow()
            run, full_at = self.run, self.full_at
            if full or run is None or full_at is None:
                full, run, full_at = True, DatabaseVerification(), now
                self.run, self.full_at = run, full_at
            async with read_snapshot(sessions) as session:
                sizes = await session.execute(
                    select(LedgerCheckpoint.size).where(LedgerCheckpoint.size >= run.walk.size)
                )
                for size in sizes.scalars():
                    run.walk.want_root(size)
                added = await run.advance(session)
                latest = (
                    await session.execute(
                        select(LedgerCheckpoint.note)
                        .order_by(LedgerCheckpoint.size.desc(), LedgerCheckpoint.id.desc())
                        .limit(1)
                    )
                ).scalar_one_or_none()
                parsed = parse_checkpoints(latest, (), key.public, key.origin)
                report = await run.report(session, parsed)
            if full:
                self.full_seconds = time.perf_counter() - started
            return Verification(report, run.walk.size, full_at, self.full_seconds, utcnow(), added)

    def recomputed_root(self, size: int) -> bytes | None:
        return self.run.walk.roots.get(size) if self.run is not None else None


def _chart(rows: list[CheckpointRow], width: int = 320, height: int = 60) -> Chart | None:
    ordered = sorted(rows, key=lambda r: (r.signed_at, r.size))
    if len(ordered) < 2:
        return None
    t0 = ordered[0].signed_at.timestamp()
    span = max(ordered[-1].signed_at.timestamp() - t0, 1e-9)
    top = max(r.size for r in ordered) or 1
    points = " ".join(
        f"{(r.signed_at.timestamp() - t0) / span * width:.1f},{height - r.size / top * height:.1f}"
        for r in ordered
    )
    return Chart(points, width, height, top)


async def ledger_status(
    sessions: async_sessionmaker[AsyncSession],
    monitor: LedgerMonitor,
    key: LedgerKey,
    *,
    full: bool = False,
) -> LedgerStatus:
    """Everything the page shows, after an (incremental) verification."""
    verification = await monitor.check(sessions, key, full=full)
    async with sessions() as session:
        size = await log_size(session)
        head = await session.scalar(
            select(LedgerHead.head_hash).where(LedgerHead.id == HEAD_ROW_ID)
        )
        try:
            root: str | None = (await tree_root(session, size)).hex()
        except TreeDamaged:
            root = None
        recent = (
            await session.execute(
                select(LedgerCheckpoint)
                .order_by(LedgerCheckpoint.size.desc(), LedgerCheckpoint.id.desc())
                .limit(RECENT_CHECKPOINTS)
            )
        ).scalars()
        rows = [_checkpoint_row(cp, key, monitor) for cp in recent]
    return LedgerStatus(
        size=size,
        head_hash=bytes(head or b"").hex(),
        root_hash=root,
        origin=key.origin,
        verifier_key=key.verifier_key,
        checkpoints=rows,
        verification=verification,
        chart=_chart(rows),
    )


def _checkpoint_row(row: LedgerCheckpoint, key: LedgerKey, monitor: LedgerMonitor) -> CheckpointRow:
    problem = None
    try:
        signed = parse_and_verify_checkpoint(row.note, key.origin, key.public)
        ok = signed.size == row.size and signed.root_hash.hex() == row.root_hash
        if not ok:
            problem = "the signed size or root differs from the stored columns"
    except CheckpointError as exc:
        ok, problem = False, str(exc)
    recomputed = monitor.recomputed_root(row.size)
    return CheckpointRow(
        size=row.size,
        signed_at=created_at_utc(row),
        root_hash=row.root_hash,
        signature_ok=ok,
        signature_problem=problem,
        root_matches=None if recomputed is None else recomputed.hex() == row.root_hash,
    )
