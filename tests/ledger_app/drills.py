"""Tamper drills: ways an attacker with database access may change the ledger behind the app's
back with plain SQL, each with the first bad entry and what `maestro ledger verify` must say."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ledger_app.helpers import record
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.checkpoints import checkpoint_now
from app.db import create_engine, session_factory
from app.ledger_keys import signing_key
from app.ledger_store import append
from app.settings import Settings
from ledger.entry import EntryHeader, chain_hash, leaf_hash
from ledger.entry_checks import STORED_FIELDS

SIZE = 20  # entries seeded before each drill (a checkpoint covers all of them)
Drill = Callable[[AsyncConnection], Awaitable[object]]


def sql(statement: str, **params: object) -> Drill:
    async def run(con: AsyncConnection) -> None:
        await con.execute(text(statement), params)

    return run


def steps(*drills: Drill) -> Drill:
    async def run(con: AsyncConnection) -> None:
        for drill in drills:
            await drill(con)

    return run


_COLS = [*STORED_FIELDS[1:], "leaf_hash"]  # every stored column but seq


def swap(a: int, b: int) -> Drill:
    """Exchange the contents of two rows, keeping their sequence numbers."""

    async def run(con: AsyncConnection) -> None:
        select = f"SELECT {', '.join(_COLS)} FROM ledger_entries WHERE seq = :seq"
        ra = (await con.execute(text(select), {"seq": a})).one()
        rb = (await con.execute(text(select), {"seq": b})).one()
        update = f"UPDATE ledger_entries SET {', '.join(f'{c} = :{c}' for c in _COLS)} "
        for seq, row in ((a, rb), (b, ra)):
            await con.execute(text(update + "WHERE seq = :seq"), {**row._asdict(), "seq": seq})

    return run


def truncate(keep: int) -> Drill:
    """Delete the tail and move the head back, so that only a checkpoint can tell."""

    async def run(con: AsyncConnection) -> None:
        last = await con.scalar(
            text("SELECT entry_hash FROM ledger_entries WHERE seq = :seq"), {"seq": keep - 1}
        )
        await con.execute(text("DELETE FROM ledger_entries WHERE seq >= :keep"), {"keep": keep})
        await con.execute(
            text("UPDATE ledger_head SET size = :size, head_hash = :hash"),
            {"size": keep, "hash": bytes.fromhex(last)},
        )

    return run


def rewrite_with_recomputed_hashes(seq: int) -> Drill:
    """Change an entry's subject and recompute every chain hash after it (nodes left alone)."""

    async def run(con: AsyncConnection) -> None:
        await con.execute(
            text("UPDATE ledger_entries SET subject = 'pr:evil/repo#1' WHERE seq = :seq"),
            {"seq": seq},
        )
        prev = bytes.fromhex(
            await con.scalar(
                text("SELECT prev_hash FROM ledger_entries WHERE seq = :seq"), {"seq": seq}
            )
        )
        names = ("seq", "time", "actor", "installation_id", "repository", "kind", "subject")
        rows = await con.execute(
            text(
                f"SELECT {', '.join(names)}, payload_sha256 FROM ledger_entries "
                "WHERE seq >= :seq ORDER BY seq"
            ),
            {"seq": seq},
        )
        for row in rows.all():
            header = EntryHeader(**dict(zip(names, row[:7], strict=True)), payload_sha256=row[7])
            entry = chain_hash(prev, header)
            await con.execute(
                text(
                    "UPDATE ledger_entries SET prev_hash = :p, entry_hash = :e, leaf_hash = :l "
                    "WHERE seq = :seq"
                ),
                {"p": prev.hex(), "e": entry.hex(), "l": leaf_hash(header).hex(), "seq": row[0]},
            )
            prev = entry
        await con.execute(text("UPDATE ledger_head SET head_hash = :h"), {"h": prev})

    return run


ZEROS = bytes(32)
DRILLS: dict[str, tuple[Drill, int, str]] = {
    "payload edited": (
        sql("UPDATE ledger_entries SET payload = '{\"n\": 999}' WHERE seq = 7"),
        7,
        "payload_hash_mismatch",
    ),
    "actor edited": (
        sql("UPDATE ledger_entries SET actor = 'mallory' WHERE seq = 4"),
        4,
        "entry_hash_mismatch",
    ),
    "payload not JSON": (
        sql("UPDATE ledger_entries SET payload = '{oops' WHERE seq = 2"),
        2,
        "malformed_entry",
    ),
    "leaf node edited": (
        sql("UPDATE ledger_nodes SET hash = :z WHERE level = 0 AND idx = 9", z=ZEROS),
        9,
        "tree node (0, 9)",
    ),
    "inner node edited": (
        sql("UPDATE ledger_nodes SET hash = :z WHERE level = 2 AND idx = 3", z=ZEROS),
        12,
        "tree node (2, 3)",
    ),
    "leaf node deleted": (
        sql("DELETE FROM ledger_nodes WHERE level = 0 AND idx = 9"),
        9,
        "tree node (0, 9) is missing",
    ),
    "inner node deleted": (
        sql("DELETE FROM ledger_nodes WHERE level = 2 AND idx = 3"),
        12,
        "tree node (2, 3) is missing",
    ),
    "head moved back": (
        sql("UPDATE ledger_head SET size = 18"),
        18,
        "the ledger head says 18 entries but the table holds 20",
    ),
    "row deleted": (
        sql("DELETE FROM ledger_entries WHERE seq = 11"),
        11,
        "sequence_error",
    ),
    "rows swapped": (swap(3, 5), 3, "prev_hash_mismatch"),
    "tail truncated": (truncate(15), 15, "log_truncated"),
    "tail truncated with its checkpoints": (
        steps(truncate(15), sql("DELETE FROM ledger_checkpoints")),
        15,
        "a tree node (0, 15) exists for entries 15..15, past the last entry 14",
    ),
    "rewritten with recomputed hashes": (rewrite_with_recomputed_hashes(6), 6, "tree node (0, 6)"),
    "row inserted past the head": (
        sql(
            "INSERT INTO ledger_entries SELECT seq + 1, time, actor, installation_id, repository,"
            " kind, subject, payload, payload_sha256, prev_hash, entry_hash, leaf_hash, purged_at"
            f" FROM ledger_entries WHERE seq = {SIZE - 1}"
        ),
        SIZE,
        "prev_hash_mismatch",
    ),
}


async def seed_and_tamper(url: str, settings: Settings, drill: Drill) -> None:
    engine = create_engine(url)
    try:
        sessions = session_factory(engine)
        for i in range(SIZE):
            async with sessions() as session, session.begin():
                await append(session, record(i))
        async with sessions() as session, session.begin():
            await checkpoint_now(session, signing_key(settings))
        async with engine.begin() as con:
            await drill(con)
    finally:
        await engine.dispose()
