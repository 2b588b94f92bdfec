"""Auditor API proofs from stored tree nodes vs recomputing them from every leaf, same run.

Builds a SQLite ledger of BENCH_LEDGER_ENTRIES entries (default 20,000): the first 500 with the
real append path, the rest bulk-inserted (`build`, which bench/ledger.py reuses for its
10^6-entry ledger; append throughput is measured there), then measures inclusion and consistency
proofs for random sizes three ways:

* served: `GET /ledger/proof/...` through the ASGI app (auth, one O(log n) node query, JSON);
* naive + DB: what a server without stored nodes does: read the leaf hashes of the first
  `tree_size` entries, then recompute the proof with the RFC 6962 recursion;
* naive in memory: the recursion alone over leaf hashes already in memory (a lower bound for
  any recomputing server).

Every served proof is checked against the naive one. Prints per-proof latency and the ratios.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, update  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker  # noqa: E402

from app.auditors import add_auditor  # noqa: E402
from app.db import create_engine, session_factory  # noqa: E402
from app.inbox import utcnow  # noqa: E402
from app.ledger_store import LedgerRecord, append  # noqa: E402
from app.ledger_verify import verify_database  # noqa: E402
from app.main import create_app  # noqa: E402
from app.migrate import upgrade_async  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.tables import LedgerEntry, LedgerHead, LedgerNode  # noqa: E402
from ledger.canonical import canonical_json  # noqa: E402
from ledger.entry import format_time  # noqa: E402
from ledger.merkle_reference import naive_consistency_proof, naive_inclusion_proof  # noqa: E402

ENTRIES = int(os.environ.get("BENCH_LEDGER_ENTRIES", "20000"))
SERVED = int(os.environ.get("BENCH_PROOFS", "300"))
NAIVE = int(os.environ.get("BENCH_NAIVE_PROOFS", "20"))
BATCH = 500
CHUNK = 50_000


async def build(url: str, entries: int = ENTRIES, *, real: int = BATCH) -> bytes:
    """Fill an empty ledger with `entries` entries and return the chain head (last entry_hash).

    The first `real` entries go through `append` (the real path); the rest are the same rows
    computed in memory (canonical JSON, chain and leaf hashes, every perfect-subtree node) and
    bulk-inserted in chunks, which builds 10^6 entries in about a minute. Append speed is
    bench/ledger.py's subject; this is how it (and this file) get a large ledger to query.
    """
    engine = create_engine(url)
    sessions = session_factory(engine)
    start = time.perf_counter()
    async with sessions() as session, session.begin():
        for i in range(min(real, entries)):
            await append(session, record(i))
    stack: list[bytes] = []  # the compact range of the tree so far (one hash per set bit)
    prev = bytes(32)
    async with sessions() as session:
        stored = await session.execute(
            select(LedgerEntry.leaf_hash, LedgerEntry.entry_hash).order_by(LedgerEntry.seq)
        )
        for seq, (leaf_hex, entry_hex) in enumerate(stored):
            _push(stack, seq, bytes.fromhex(leaf_hex), None)
            prev = bytes.fromhex(entry_hex)
    moment = format_time(utcnow())
    sha = hashlib.sha256
    for chunk_start in range(min(real, entries), entries, CHUNK):
        rows: list[dict[str, object]] = []
        nodes: list[dict[str, object]] = []
        for seq in range(chunk_start, min(chunk_start + CHUNK, entries)):
            rec = record(seq)
            text = canonical_json(rec.payload or {})
            fields = {
                "seq": seq,
                "time": moment,
                "actor": rec.actor,
                "installation_id": rec.installation_id,
                "repository": rec.repository,
                "kind": rec.kind,
                "subject": rec.subject,
                "payload_sha256": sha(text).hexdigest(),
            }
            data = canonical_json(fields)
            entry, leaf = sha(prev + data).digest(), sha(b"\x00" + data).digest()
            rows.append(
                {
                    **fields,
                    "payload": text.decode(),
                    "prev_hash": prev.hex(),
                    "entry_hash": entry.hex(),
                    "leaf_hash": leaf.hex(),
                }
            )
            _push(stack, seq, leaf, nodes)
            prev = entry
        async with sessions() as session, session.begin():
            await session.execute(insert(LedgerEntry), rows)
            await session.execute(insert(LedgerNode), nodes)
    async with sessions() as session, session.begin():
        await session.execute(update(LedgerHead).values(size=entries, head_hash=prev))
    print(f"built {entries:,} entries in {time.perf_counter() - start:.1f} s")
    await engine.dispose()
    return prev


def _push(stack: list[bytes], seq: int, leaf: bytes, nodes: list[dict[str, object]] | None) -> None:
    """Append leaf `seq` to the compact range; record every node it completes in `nodes`."""
    acc, n, level = leaf, seq, 0
    if nodes is not None:
        nodes.append({"level": 0, "idx": seq, "hash": leaf})
    while n & 1:
        acc = hashlib.sha256(b"\x01" + stack.pop() + acc).digest()
        n, level = n >> 1, level + 1
        if nodes is not None:
            nodes.append({"level": level, "idx": n, "hash": acc})
    stack.append(acc)


def record(i: int) -> LedgerRecord:
    return LedgerRecord(
        kind="checkrun.completed",
        installation_id=1,
        repository="octo/repo",
        subject=f"pr:octo/repo#{i}",
        payload={"n": i, "title": f"{i % 7} of 6 obligations failed"},
    )


def queries(rng: random.Random, count: int) -> list[tuple[str, int, int]]:
    out = []
    for i in range(count):
        size = rng.randint(ENTRIES // 2, ENTRIES)
        if i % 2:
            out.append(("inclusion", rng.randrange(size), size))
        else:
            out.append(("consistency", rng.randint(1, size), size))
    return out


async def leaf_hashes(sessions: async_sessionmaker[AsyncSession], size: int) -> list[bytes]:
    async with sessions() as session:
        query = select(LedgerEntry.leaf_hash).order_by(LedgerEntry.seq).limit(size)
        return [bytes.fromhex(h) for h in (await session.execute(query)).scalars()]


def naive(kind: str, a: int, leaves: list[bytes]) -> list[bytes]:
    if kind == "inclusion":
        return naive_inclusion_proof(leaves, a)
    return naive_consistency_proof(leaves, a)


async def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="maestro-bench-ledger-"))
    url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    await upgrade_async(url)
    await build(url)
    settings = Settings(_env_file=None, database_url=url, data_dir=tmp)  # type: ignore[call-arg]
    app = create_app(settings, run_worker=False, migrate=False)
    sessions = app.state.services.sessions
    start = time.perf_counter()
    report = await verify_database(sessions, None, [], None, None)
    took = time.perf_counter() - start
    if not report.ok:
        raise SystemExit(f"the built ledger does not verify: {report.message}")
    print(f"maestro ledger verify (entries, chain and node table): {ENTRIES / took:,.0f} entries/s")
    async with sessions() as session, session.begin():
        token = await add_auditor(session, "bench", ["audit"])
    rng = random.Random(6962)
    work = queries(rng, SERVED)
    served: dict[tuple[str, int, int], list[bytes]] = {}
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://bench", headers=headers
    ) as c:
        start = time.perf_counter()
        for kind, a, size in work:
            if kind == "inclusion":
                body = (await c.get(f"/ledger/proof/inclusion?seq={a}&tree_size={size}")).json()
                served[(kind, a, size)] = [bytes.fromhex(h) for h in body["audit_path"]]
            else:
                body = (await c.get(f"/ledger/proof/consistency?first={a}&second={size}")).json()
                served[(kind, a, size)] = [bytes.fromhex(h) for h in body["consistency"]]
        served_s = (time.perf_counter() - start) / len(work)

    sample = work[:NAIVE]
    start = time.perf_counter()
    recomputed = {}
    for kind, a, size in sample:
        recomputed[(kind, a, size)] = naive(kind, a, await leaf_hashes(sessions, size))
    naive_db_s = (time.perf_counter() - start) / len(sample)

    everything = await leaf_hashes(sessions, ENTRIES)
    start = time.perf_counter()
    for kind, a, size in sample:
        naive(kind, a, everything[:size])
    naive_mem_s = (time.perf_counter() - start) / len(sample)
    await app.state.services.engine.dispose()

    wrong = [q for q in sample if recomputed[q] != served[q]]
    if wrong:
        raise SystemExit(f"served proofs differ from the naive ones for {wrong[:3]}")
    print(f"ledger of {ENTRIES} entries on SQLite; proofs for random tree sizes in [n/2, n]")
    print(f"  served from stored nodes (HTTP, {len(work)} proofs): {served_s * 1e3:8.3f} ms/proof")
    print(f"  naive, leaves from DB    ({len(sample)} proofs):  {naive_db_s * 1e3:8.3f} ms/proof")
    print(f"  naive, leaves in memory  ({len(sample)} proofs):  {naive_mem_s * 1e3:8.3f} ms/proof")
    print(f"  ratio naive+DB / served:    {naive_db_s / served_s:8.1f}x")
    print(f"  ratio naive in memory / served: {naive_mem_s / served_s:4.1f}x")
    print(f"  {len(sample)} served proofs checked equal to the naive ones")


if __name__ == "__main__":
    asyncio.run(main())
