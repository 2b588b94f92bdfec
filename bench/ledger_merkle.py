"""Merkle maths benchmark: the stored-node path (ledger.merkle) vs naive full recompute.

1. Append N = 20,000 leaves through the stored-node path (compact-range merge; every perfect
   subtree stored once): appends/s, plus the root after every append.
2. 1,000 inclusion proofs and 1,000 consistency proofs at random (index, size) / (size1, size2)
   with sizes up to N, built from stored nodes (O(log n) lookups each): proofs/s.
3. The same proofs recomputed naively from the leaf hashes (RFC 6962 recursion over the whole
   tree, O(n) hashes each) on the first NAIVE of them, in the same run: proofs/s and the
   ratio stored / naive.  Every proof in (2) is verified, and the sampled ones are checked to
   be byte-identical to the naive ones.
4. Offline verification (ledger.verify.verify_entries) of N entries in the auditor-API shape:
   payload hashes, hash chain and Merkle root against a signed checkpoint: entries/s.

Run: .venv/bin/python bench/ledger_merkle.py [N] [PROOFS] [NAIVE]   (about 10 s on 2 cores)
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ledger.merkle import NodeID, ProofPlan, consistency_plan, hash_leaf, inclusion_plan
from ledger.merkle_reference import (
    MemoryTree,
    naive_consistency_proof,
    naive_inclusion_proof,
    naive_root,
)
from ledger.merkle_verify import verify_consistency, verify_inclusion

N = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
PROOFS = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000
NAIVE = int(sys.argv[3]) if len(sys.argv) > 3 else 100
T = TypeVar("T")


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def line(label: str, count: int, seconds: float) -> float:
    rate = count / seconds if seconds else float("inf")
    print(f"  {label:<44} {count:>7} in {seconds:8.3f} s  = {rate:>12,.0f} /s")
    return rate


def main() -> None:
    rng = random.Random(6962)
    leaves = [hash_leaf(i.to_bytes(8, "big")) for i in range(N)]
    print(f"ledger Merkle benchmark: N={N:,} leaves, {PROOFS:,} proofs, naive sample {NAIVE}")

    tree = MemoryTree()

    def append_all() -> None:
        for leaf in leaves:
            tree.append(leaf)

    t_append, _ = timed(append_all)
    print("append")
    line("stored-node append (compact-range merge)", N, t_append)
    print(f"  nodes stored: {len(tree.store):,} (2N - popcount(N) = {2 * N - N.bit_count():,})")

    roots_tree = MemoryTree()

    def append_with_roots() -> None:
        for leaf in leaves:
            roots_tree.append(leaf)
            roots_tree.root()

    t_append_root, _ = timed(append_with_roots)
    line("append + new root after each", N, t_append_root)
    sizes = [rng.randint(1, N) for _ in range(NAIVE)]
    t_naive_root, _ = timed(lambda: [naive_root(leaves[:s]) for s in sizes])
    naive_root_rate = line("naive root recompute (sampled sizes)", NAIVE, t_naive_root)
    repeat = max(PROOFS // NAIVE, 1)
    t_root, _ = timed(lambda: [tree.root(s) for s in sizes * repeat])
    stored_root_rate = line("stored-node root at the same sizes", NAIVE * repeat, t_root)
    print(f"  ratio stored/naive root: {stored_root_rate / naive_root_rate:,.0f}x")

    # Inclusion proofs.
    incl_cases = []
    for _ in range(PROOFS):
        size = rng.randint(1, N)
        incl_cases.append((rng.randrange(size), size))
    t_incl, incl = timed(lambda: [tree.inclusion_proof(i, s) for i, s in incl_cases])
    t_naive_incl, naive_incl = timed(
        lambda: [naive_inclusion_proof(leaves[:s], i) for i, s in incl_cases[:NAIVE]]
    )
    print("inclusion proofs")
    stored_rate = line("stored-node path", PROOFS, t_incl)
    naive_rate = line("naive full recompute (first cases)", NAIVE, t_naive_incl)
    print(f"  ratio stored/naive: {stored_rate / naive_rate:,.0f}x")
    assert incl[:NAIVE] == naive_incl, "stored and naive inclusion proofs differ"
    for (i, s), proof in zip(incl_cases, incl, strict=True):
        verify_inclusion(leaves[i], i, s, proof, tree.root(s))

    # Consistency proofs.
    cons_cases = []
    for _ in range(PROOFS):
        size2 = rng.randint(1, N)
        cons_cases.append((rng.randint(1, size2), size2))
    t_cons, cons = timed(lambda: [tree.consistency_proof(a, b) for a, b in cons_cases])
    t_naive_cons, naive_cons = timed(
        lambda: [naive_consistency_proof(leaves[:b], a) for a, b in cons_cases[:NAIVE]]
    )
    print("consistency proofs")
    stored_rate = line("stored-node path", PROOFS, t_cons)
    naive_rate = line("naive full recompute (first cases)", NAIVE, t_naive_cons)
    print(f"  ratio stored/naive: {stored_rate / naive_rate:,.0f}x")
    assert cons[:NAIVE] == naive_cons, "stored and naive consistency proofs differ"
    for (a, b), proof in zip(cons_cases, cons, strict=True):
        verify_consistency(a, b, proof, tree.root(a), tree.root(b))

    # Proof latency: at N with the in-memory store, and the pure maths (plan + assemble,
    # node lookups from a dict of the O(log n) nodes the plan names) at 10**6 entries.
    print(f"per-proof latency at size {N:,} (MemoryTree)")
    t_one, _ = timed(lambda: [tree.inclusion_proof(rng.randrange(N), N) for _ in range(PROOFS)])
    print(f"  inclusion   {t_one / PROOFS * 1e6:8.1f} us")
    t_one, _ = timed(lambda: [tree.consistency_proof(rng.randint(1, N), N) for _ in range(PROOFS)])
    print(f"  consistency {t_one / PROOFS * 1e6:8.1f} us")
    big = 10**6
    fake = hash_leaf(b"node")

    def plan_and_assemble(plan: ProofPlan) -> int:
        fetched: dict[NodeID, bytes] = dict.fromkeys(plan.node_ids, fake)
        return len(plan.assemble(fetched))

    print(f"plan + assemble at size {big:,} (maths only, node fetch excluded)")
    t_one, _ = timed(
        lambda: [plan_and_assemble(inclusion_plan(rng.randrange(big), big)) for _ in range(PROOFS)]
    )
    nodes = len(inclusion_plan(0, big).node_ids)
    print(f"  inclusion   {t_one / PROOFS * 1e6:8.1f} us ({nodes} nodes for leaf 0)")
    t_one, _ = timed(
        lambda: [
            plan_and_assemble(consistency_plan(rng.randint(1, big), big)) for _ in range(PROOFS)
        ]
    )
    print(f"  consistency {t_one / PROOFS * 1e6:8.1f} us")
    print("all proofs verified; sampled proofs identical to the naive ones")
    bench_verify()


def bench_verify() -> None:
    from ledger.checkpoint import sign_checkpoint
    from ledger.entry import GENESIS_PREV_HASH, Entry, leaf_hash
    from ledger.signing_keys import generate_key
    from ledger.verify import verify_entries

    prev = GENESIS_PREV_HASH
    rows = []
    log = MemoryTree()
    for seq in range(N):
        entry = Entry.create(
            prev,
            {
                "seq": seq,
                "time": f"2026-11-24T21:{seq // 600 % 60:02d}:{seq // 10 % 60:02d}.{seq:06d}Z",
                "actor": "maestro",
                "installation_id": 42,
                "repository": "octo/repo",
                "kind": "checkrun.completed",
                "subject": f"pr:octo/repo#{seq % 97}",
            },
            {"check_run_id": seq, "conclusion": "success", "obligations": ["tests", "sbom"]},
        )
        rows.append(entry.to_api())
        log.append(leaf_hash(entry.header))
        prev = bytes.fromhex(entry.entry_hash)
    key = generate_key()
    checkpoint = sign_checkpoint("bench.example/ledger", N, log.root(), key)
    best = float("inf")
    for _ in range(3):
        seconds, report = timed(
            lambda: verify_entries(
                rows,
                checkpoint=checkpoint,
                public_key=key.public_key(),
                origin="bench.example/ledger",
            )
        )
        assert report.ok, report.message
        best = min(best, seconds)
    print("offline verification (payload hashes + chain + root + checkpoint), best of 3")
    line("verify_entries", N, best)


if __name__ == "__main__":
    main()
