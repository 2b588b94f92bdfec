"""The CSR blast radius equals a plain per-node reference on random graphs, and the CSR view is
cached with its graph and dropped when the graph changes."""

from __future__ import annotations

import datetime as dt
import pickle

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.blast_reference import reference_blast

from graph.blast import blast_radius, blast_radius_on
from graph.blast_index import BlastIndex
from graph.config import RiskPolicy
from graph.ingest import build_graph, update

TODAY = dt.date(2026, 11, 1)
CRIT = ["low", "medium", "high", "critical"]


@st.composite
def graphs(draw: st.DrawFn) -> tuple[nx.DiGraph, nx.DiGraph, list[str], int]:
    """A random CodeGraph-shaped graph (files, imports, tests, owners, services, incidents), the
    base graph it came from (some changed files are deleted in the head), and the changed paths."""
    n = draw(st.integers(min_value=1, max_value=14))
    files = [f"f{i:02d}.py" if i % 5 else f"f{i:02d}.md" for i in range(n)]
    g = nx.DiGraph()
    for i, path in enumerate(files):
        is_test = draw(st.booleans()) if path.endswith(".py") else False
        lang = "python" if path.endswith(".py") else "other"
        g.add_node("file:" + path, kind="file", name=path, lang=lang, test=is_test)
        if is_test:
            g.add_edge("test:" + path, "file:" + path, kind="defined_in")
            for j in draw(st.lists(st.integers(0, n - 1), max_size=3)):
                if j != i:
                    g.add_edge("test:" + path, "file:" + files[j], kind="tests", via=["import"])
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
    for a, b in draw(st.lists(pairs, max_size=3 * n)):
        if a != b:
            g.add_edge("file:" + files[a], "file:" + files[b], kind="imports")
    for i, owner in draw(st.lists(st.tuples(st.integers(0, n - 1), st.sampled_from("xyz")))):
        g.add_edge("file:" + files[i], f"owner:@o/{owner}", kind="owned_by")
    for s in range(draw(st.integers(0, 3))):
        sid = f"service:s{s}"
        g.add_node(
            sid,
            kind="service",
            criticality=draw(st.sampled_from(CRIT)),
            slos=[{"name": "a", "objective": 99.0}] * draw(st.integers(0, 2)),
            owners=draw(st.lists(st.sampled_from(["@o/x", "@o/svc"]), unique=True)),
        )
        for i in draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n)):
            g.add_edge("file:" + files[i], sid, kind="part_of", critical=draw(st.booleans()))
    services = [s for s in g if s.startswith("service:")]
    for k in range(draw(st.integers(0, 3))):
        iid = f"incident:I{k}"
        touched = draw(st.lists(st.integers(0, n - 1), unique=True, max_size=3))
        date = TODAY - dt.timedelta(days=draw(st.integers(-5, 120)))
        paths = [files[i] for i in touched]
        g.add_node(iid, kind="incident", date=date.isoformat(), severity="", title="", paths=paths)
        for i in touched:
            g.add_edge(iid, "file:" + files[i], kind="touched")
        for sid in draw(st.lists(st.sampled_from(services), unique=True)) if services else []:
            g.add_edge(iid, sid, kind="affected")
    changed = draw(st.lists(st.sampled_from([*files, "gone.py"]), min_size=1, max_size=4))
    base = g.copy()
    for path in draw(st.lists(st.sampled_from(changed), max_size=2)):
        if ("file:" + path) in g:
            g.remove_node("file:" + path)
    code_files = sum(1 for p in files if p.endswith(".py"))
    return g, base, changed, code_files


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    graphs(),
    st.integers(min_value=0, max_value=4),
    st.sampled_from([0.5, 0.7, 1.0]),
    st.integers(min_value=1, max_value=4),
)
def test_csr_blast_radius_equals_the_reference(
    case: tuple[nx.DiGraph, nx.DiGraph, list[str], int], depth: int, decay: float, limit: int
) -> None:
    g, base, changed, code_files = case
    policy = RiskPolicy(depth=depth, decay=decay, incident_window_days=90)
    fast = blast_radius_on(g, changed, TODAY, policy, code_files, base=base, reason_limit=limit)
    slow = reference_blast(g, changed, TODAY, policy, code_files, base=base, reason_limit=limit)
    assert fast.model_dump() == slow
    assert fast.required_tests_top(2) == fast.required_tests[:2]


def test_the_index_is_cached_with_the_graph_and_dropped_on_update() -> None:
    cg = build_graph({"a.py": "", "b.py": "import a\n"})
    index = cg.blast_index()
    assert cg.blast_index() is index  # built once, reused by every query
    assert [f.path for f in blast_radius(cg, ["a.py"], TODAY).impacted] == ["a.py", "b.py"]
    update(cg, {"c.py": "import b\n"})
    assert cg.blast_index() is not index
    assert [f.path for f in blast_radius(cg, ["a.py"], TODAY).impacted] == ["a.py", "b.py", "c.py"]
    # Snapshots are pickled without it (it is rebuilt from the graph on demand).
    restored = pickle.loads(pickle.dumps(cg))
    assert restored._blast_index is None
    assert restored.blast_index().files == cg.blast_index().files


def test_walk_parents_give_shortest_chains_with_path_order_ties() -> None:
    g = nx.DiGraph()
    for a, b in [("b", "a"), ("c", "a"), ("d", "b"), ("d", "c"), ("e", "d")]:
        g.add_edge(f"file:{a}.py", f"file:{b}.py", kind="imports")
    ix = BlastIndex.from_graph(g)
    cone = ix.walk([ix.pos["file:a.py"]], {}, 5)
    assert [ix.paths[i] for i in cone.order] == ["a.py", "b.py", "c.py", "d.py", "e.py"]
    assert cone.depth.tolist() == [0, 1, 1, 2, 3]
    assert ix.chain(cone, ix.pos["file:e.py"]) == ["a.py", "b.py", "d.py", "e.py"]
