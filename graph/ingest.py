"""CodeGraph: the networkx graph of one repository snapshot, built from path → text mappings.

`build_graph(files)` ingests a whole snapshot; `update(graph, changed)` applies a change set
(path → new text, or None for a deletion), re-parsing only the changed files and re-deriving only
the units whose inputs changed. Both go through the same code path, so an updated graph equals
a full rebuild of the final snapshot (`tests/graph/test_incremental.py` checks this).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx

from graph import codeowners, lang_go, lang_js
from graph.blast_index import BlastIndex
from graph.config import SERVICES_PATH, ServicesConfig
from graph.derive import (
    SERVICES_UNIT,
    Context,
    Contribution,
    build_context,
    derive_file,
    derive_services,
)
from graph.facts import GO, JS, PYTHON, FileFacts, dirname, parse_file
from graph.ids import Finding, kind_of, name_of


def base_attrs(node: str) -> dict[str, Any]:
    """Attributes every node gets from its ID alone."""
    kind, name = kind_of(node), name_of(node)
    attrs: dict[str, Any] = {"kind": kind, "name": name}
    if kind == "file":
        from graph.facts import is_test, language

        attrs["lang"] = language(name)
        attrs["test"] = is_test(name)
    return attrs


# Bumped whenever what a graph holds changes (node IDs, edge rules), so that snapshots cached by
# an older version are rebuilt rather than updated incrementally. 2: parent-package edges and
# source-root module IDs.
GRAPH_FORMAT = 2


class CodeGraph:
    """One repository snapshot: `graph` (networkx DiGraph) plus the indexes incremental updates use.

    Treat `graph` as read-only; change the snapshot with `update`.
    """

    def __init__(self) -> None:
        self.format = GRAPH_FORMAT
        self.graph: nx.DiGraph = nx.DiGraph()
        self.facts: dict[str, FileFacts] = {}
        self._stems: dict[str, set[str]] = {}
        self._godirs: dict[str, set[str]] = {}
        self._contrib: dict[str, Contribution] = {}
        self._probe_index: dict[str, set[str]] = {}
        self._node_refs: dict[str, int] = {}
        self._node_extra: dict[str, tuple[str, dict[str, Any]]] = {}
        self._edge_refs: dict[tuple[str, str], int] = {}
        self.context: Context = build_context({})
        self._blast_index: BlastIndex | None = None

    def blast_index(self) -> BlastIndex:
        """The graph's CSR view for blast-radius queries, built on first use and dropped by
        `update` (and not pickled with the graph)."""
        if self._blast_index is None:
            self._blast_index = BlastIndex.from_graph(self.graph)
        return self._blast_index

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_blast_index"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.setdefault("_blast_index", None)
        state.setdefault("format", 1)
        self.__dict__.update(state)

    # -- RepoIndex ---------------------------------------------------------------------------
    def exists(self, path: str) -> bool:
        return path in self.facts

    def stem_files(self, basename: str) -> set[str]:
        return self._stems.get(basename, set())

    def package_files(self, directory: str) -> set[str]:
        return self._godirs.get(directory, set())

    # -- public views ------------------------------------------------------------------------
    @property
    def paths(self) -> list[str]:
        return sorted(self.facts)

    @property
    def services(self) -> ServicesConfig:
        return self.context.services

    @property
    def findings(self) -> list[Finding]:
        out = [f for facts in self.facts.values() for f in facts.findings]
        return sorted(out, key=lambda f: (f.path, f.line or 0, f.code, f.detail))

    def copy(self) -> CodeGraph:
        """An independent copy (e.g. to keep the base commit's graph while updating to head)."""
        return copy.deepcopy(self)

    # -- bookkeeping -------------------------------------------------------------------------
    def _index_add(self, facts: FileFacts) -> None:
        if facts.lang == PYTHON and not facts.test:
            self._stems.setdefault(facts.path.rsplit("/", 1)[-1], set()).add(facts.path)
        if facts.lang == GO and not facts.test:
            self._godirs.setdefault(dirname(facts.path), set()).add(facts.path)

    def _index_remove(self, facts: FileFacts) -> None:
        for table, key in (
            (self._stems, facts.path.rsplit("/", 1)[-1]),
            (self._godirs, dirname(facts.path)),
        ):
            bucket = table.get(key)
            if bucket is not None:
                bucket.discard(facts.path)
                if not bucket:
                    del table[key]

    def _retract(self, unit: str) -> None:
        old = self._contrib.pop(unit, None)
        if old is None:
            return
        for key in old.probes:
            users = self._probe_index.get(key)
            if users is not None:
                users.discard(unit)
                if not users:
                    del self._probe_index[key]
        for edge in old.edges:
            self._edge_refs[edge] -= 1
            if self._edge_refs[edge] == 0:
                del self._edge_refs[edge]
                self.graph.remove_edge(*edge)
        for node, extra in old.nodes.items():
            if extra and self._node_extra.get(node, ("", {}))[0] == unit:
                del self._node_extra[node]
                attrs = self.graph.nodes[node]
                attrs.clear()
                attrs.update(base_attrs(node))
            self._node_refs[node] -= 1
            if self._node_refs[node] == 0:
                del self._node_refs[node]
                self.graph.remove_node(node)

    def _apply(self, unit: str, contrib: Contribution) -> None:
        self._contrib[unit] = contrib
        for key in contrib.probes:
            self._probe_index.setdefault(key, set()).add(unit)
        for node, extra in contrib.nodes.items():
            count = self._node_refs.get(node, 0)
            if count == 0:
                self.graph.add_node(node, **base_attrs(node))
            self._node_refs[node] = count + 1
            if extra:
                self._node_extra[node] = (unit, extra)
                self.graph.nodes[node].update(extra)
        for (u, v), attrs in contrib.edges.items():
            self._edge_refs[(u, v)] = self._edge_refs.get((u, v), 0) + 1
            self.graph.add_edge(u, v, **attrs)


def _changed_keys(path: str, facts: FileFacts) -> set[str]:
    """Probe keys whose answer changes when `path` appears or disappears."""
    keys = {path}
    if facts.lang == PYTHON and not facts.test:
        keys.add(f"pystem:{path.rsplit('/', 1)[-1]}")
    if facts.lang == GO and not facts.test:
        keys.add(f"godir:{dirname(path)}")
    return keys


def update(cg: CodeGraph, changed: Mapping[str, str | None]) -> CodeGraph:
    """Apply a change set in place (path → new text, None = deleted) and return the graph."""
    cg._blast_index = None
    dirty: set[str] = set()
    removed: set[str] = set()
    keys: set[str] = set()
    config_changed: set[str] = set()
    for path in sorted(changed):
        text = changed[path]
        old = cg.facts.get(path)
        if text is None:
            if old is None:
                continue
            cg._index_remove(old)
            del cg.facts[path]
            removed.add(path)
            keys |= _changed_keys(path, old)
        else:
            new = parse_file(path, text)
            if old is None:
                keys |= _changed_keys(path, new)
            else:
                cg._index_remove(old)
            cg.facts[path] = new
            cg._index_add(new)
            dirty.add(path)
        if path == SERVICES_PATH or path in codeowners.LOCATIONS:
            config_changed.add("all")
        elif lang_js.is_tsconfig(path):
            config_changed.add(JS)
        elif lang_go.is_go_mod(path):
            config_changed.add(GO)

    for key in keys:
        dirty |= cg._probe_index.get(key, set())
    if config_changed:
        cg.context = build_context(cg.facts)
        if "all" in config_changed:
            dirty |= set(cg.facts)
            dirty.add(SERVICES_UNIT)
        else:
            dirty |= {p for p, f in cg.facts.items() if f.lang in config_changed}
    dirty -= removed

    for unit in removed | dirty:
        cg._retract(unit)
    for unit in sorted(dirty):
        if unit == SERVICES_UNIT:
            cg._apply(unit, derive_services(cg.context))
        elif unit in cg.facts:
            cg._apply(unit, derive_file(cg.facts[unit], cg.context, cg))
    return cg


def build_graph(files: Mapping[str, str]) -> CodeGraph:
    """Ingest a whole snapshot (path → text). Paths are repository-relative POSIX paths."""
    return update(CodeGraph(), files)


def graph_signature(cg: CodeGraph) -> tuple[frozenset[Any], frozenset[Any]]:
    """Nodes and edges with their attributes, order-free: equal iff the graphs are equal."""

    def freeze(value: Any) -> Any:
        if isinstance(value, dict):
            return tuple(sorted((k, freeze(v)) for k, v in value.items()))
        if isinstance(value, list | tuple):
            return tuple(freeze(v) for v in value)
        return value

    nodes = frozenset((n, freeze(d)) for n, d in cg.graph.nodes(data=True))
    edges = frozenset((u, v, freeze(d)) for u, v, d in cg.graph.edges(data=True))
    return nodes, edges


def files_of(cg: CodeGraph, kinds: Iterable[str] = (PYTHON, JS, GO)) -> list[str]:
    """Paths of code files of the given languages (tests included)."""
    wanted = set(kinds)
    return sorted(p for p, f in cg.facts.items() if f.lang in wanted)
