"""CodeGraph-360 benchmark: ingest, incremental update vs full rebuild, blast-radius queries.

1. Full build of real code (the interpreter's standard library, and networkx from this venv):
   files/s.
2. Incremental update after a small change (10 files of the stdlib; 1 file of networkx) against
   a full rebuild of the same final snapshot, measured in this run: ratio full / incremental.
3. Blast radius on a synthetic 100k-file / ~1M-edge graph: ms per query (median, p95, max) for
   typical files and for hub files (cones of tens of thousands of files), PASS/FAIL against the
   issue's target of < 50 ms per query (the max must be under it), next to a baseline measured
   in the same run: a bare depth-limited reverse BFS with networkx (`nx.bfs_tree` on the
   reversed view). The graph's CSR view is built once (its time is printed) and reused, as
   `CodeGraph.blast_index()` does; the Decision Card for the largest cone is timed too.

Run: .venv/bin/python bench/graph.py or `make bench`  (about a minute on 2 cores)
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import sysconfig
import time
from pathlib import Path

import networkx as nx

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    # Run as `python bench/graph.py`: this file's folder comes first on sys.path and the file's
    # own name would shadow the `graph` package (`make bench` passes -P instead).
    sys.path.pop(0)

from graph.blast import blast_radius, blast_radius_on
from graph.blast_index import BlastIndex
from graph.config import RiskPolicy
from graph.decision import decision_card
from graph.ingest import build_graph, graph_signature, update

TODAY = dt.date(2026, 11, 24)
TARGET_MS = 50.0


def read_tree(root: Path, skip: set[str]) -> dict[str, str]:
    files: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in skip)
        for name in sorted(filenames):
            if name.endswith(".py"):
                path = Path(dirpath) / name
                try:
                    files[path.relative_to(root).as_posix()] = path.read_text("utf-8")
                except (UnicodeDecodeError, OSError):
                    continue
    return files


def timed(fn, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def ingest_and_update(label: str, files: dict[str, str], n_changed: int) -> None:
    cg, full = timed(build_graph, files)
    print(
        f"[{label}] full build: {len(files)} files in {full:.2f} s = {len(files) / full:,.0f} "
        f"files/s; {cg.graph.number_of_nodes():,} nodes, {cg.graph.number_of_edges():,} edges"
    )
    rng = random.Random(7)
    victims = rng.sample(sorted(files), n_changed)
    change = {p: files[p] + "\nimport json\n" for p in victims}
    _, incremental = timed(update, cg, change)
    final = {**files, **change}
    rebuilt, full_again = timed(build_graph, final)
    assert graph_signature(rebuilt) == graph_signature(cg), "incremental != full rebuild"
    print(
        f"[{label}] {n_changed} changed file(s): incremental {incremental * 1000:.1f} ms vs "
        f"full rebuild {full_again * 1000:.0f} ms -> ratio {full_again / incremental:,.0f}x "
        f"(graphs equal)"
    )
    changed = victims[:1]
    queries = [timed(blast_radius, cg, changed, TODAY)[1] for _ in range(20)]
    print(f"[{label}] blast radius of {changed[0]}: {statistics.median(queries) * 1000:.2f} ms")


def synthetic(n_files: int, imports_per_file: int, seed: int = 1) -> nx.DiGraph:
    """Layered import DAG: file i imports files with lower indices (low indices are hubs)."""
    rng = random.Random(seed)
    g = nx.DiGraph()
    g.add_nodes_from(
        (f"file:f{i}.py", {"kind": "file", "lang": "python", "test": False}) for i in range(n_files)
    )
    edges = []
    for i in range(1, n_files):
        for j in {rng.randrange(i) for _ in range(min(i, imports_per_file))}:
            edges.append((f"file:f{i}.py", f"file:f{j}.py"))
    g.add_edges_from(edges, kind="imports")
    g.add_edges_from(
        ((f"file:f{i}.py", f"owner:@org/t{i % 100}") for i in range(n_files)), kind="owned_by"
    )
    g.add_edges_from(
        ((f"file:f{i}.py", f"service:s{i % 50}") for i in range(n_files)),
        kind="part_of",
        critical=False,
    )
    for s in range(50):
        g.nodes[f"service:s{s}"].update(
            kind="service", criticality=["low", "medium", "high", "critical"][s % 4], slos=[]
        )
    g.add_edges_from(
        ((f"test:t{i}.py", f"file:f{i * 7 % n_files}.py") for i in range(n_files // 10)),
        kind="tests",
        via=["import"],
    )
    return g


def bench_blast() -> None:
    g, build = timed(synthetic, 100_000, 9)
    print(
        f"[synthetic] {g.number_of_nodes():,} nodes, {g.number_of_edges():,} edges "
        f"(built in {build:.1f} s)"
    )
    index, index_time = timed(BlastIndex.from_graph, g)
    print(f"[synthetic] CSR view built once in {index_time:.2f} s")
    policy = RiskPolicy(depth=3)
    rng = random.Random(3)
    typical = [[f"f{rng.randrange(1000, 100_000)}.py"] for _ in range(40)]
    hubs = [[f"f{i}.py"] for i in range(30, 70, 2)]  # low indices are imported by many files
    reverse = g.reverse(copy=False)
    verdicts = []
    largest = None
    for label, sample in (("typical file", typical), ("hub file", hubs)):
        ours, base, sizes = [], [], []
        for changed in sample:
            result, t = timed(blast_radius_on, g, changed, TODAY, policy, 100_000, None, index)
            ours.append(t)
            sizes.append(result.impacted_count)
            if largest is None or result.impacted_count > largest.impacted_count:
                largest = result
            _, tb = timed(nx.bfs_tree, reverse, f"file:{changed[0]}", False, policy.depth)
            base.append(tb)
        ours.sort()
        med, p95, worst = statistics.median(ours), ours[int(0.95 * (len(ours) - 1))], ours[-1]
        bmed = statistics.median(base)
        verdict = "PASS" if worst * 1000 < TARGET_MS else "FAIL"
        verdicts.append(verdict)
        print(
            f"[synthetic] blast radius, {label}, depth {policy.depth}, {len(ours)} queries: "
            f"median {med * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, max {worst * 1000:.1f} ms "
            f"-> {verdict} (target < {TARGET_MS:.0f} ms); cone median "
            f"{statistics.median(sizes):,.0f} files, max {max(sizes):,}; bare networkx reverse "
            f"BFS median {bmed * 1000:.1f} ms (ours / bare BFS = {med / bmed:.2f})"
        )
    if largest is not None:
        _, card = timed(decision_card, largest)
        print(
            f"[synthetic] Decision Card of the largest cone ({largest.impacted_count:,} files, "
            f"{largest.required_test_count:,} required tests): {card * 1000:.1f} ms"
        )
    print(f"[synthetic] blast radius < {TARGET_MS:.0f} ms per query: {' / '.join(verdicts)}")


def main() -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    ingest_and_update("stdlib", read_tree(stdlib, {"site-packages", "__pycache__"}), 10)
    nx_root = Path(nx.__file__).resolve().parent
    nx_files = {f"networkx/{p}": t for p, t in read_tree(nx_root, {"__pycache__"}).items()}
    ingest_and_update("networkx", nx_files, 1)
    bench_blast()


if __name__ == "__main__":
    main()
