"""An integer-indexed, compressed sparse row (CSR) view of a CodeGraph for blast-radius queries.

A blast-radius query walks reverse imports and then sums per-file facts over the cone. Walking
networkx's dict-of-dicts costs a Python loop per edge: on a 100,000-file graph a hub file's cone
(tens of thousands of files) takes over a second. The index renumbers files by path (so integer
order is path order, which keeps tie-breaks identical to a walk over sorted paths) and stores:

- `importers`: for file i, the files that import it (`imp_ptr[i]:imp_ptr[i + 1]` in `imp_idx`);
- per-file flags: has a language, is non-test code, is linked to a test;
- per-file links as CSR pairs: owners, services (with the `critical` flag), tests that link to
  it, incidents that touched it; and the test node each test file defines.

It is built once per graph (`CodeGraph.blast_index()` caches it until the next `update`) and is
read-only afterwards. `walk` is the depth-limited reverse breadth-first search, one numpy step per
level: the frontier's importers come from `imp_ptr` slices, a visited mask drops those seen, and
each new file's BFS parent is the first frontier file (in path order) that it imports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt

from graph.facts import OTHER

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
_F = "file:"


@dataclass(frozen=True)
class Links:
    """CSR pairs file → other node: for file i, `idx[ptr[i]:ptr[i + 1]]` index into `names`."""

    ptr: IntArray
    idx: IntArray
    names: list[str]

    def gather(self, files: IntArray) -> tuple[IntArray, IntArray, IntArray]:
        """For every link of the given files: (position in `files`, linked node index, position
        in `idx`), in the order of `files` and, within one file, in index order."""
        rows, flat = _gather(self.ptr, files)
        return rows, self.idx[flat], flat


def _gather(ptr: IntArray, files: IntArray) -> tuple[IntArray, IntArray]:
    """(position in `files`, position in the CSR's `idx`) of every entry of the given rows."""
    starts = ptr[files]
    counts = ptr[files + 1] - starts
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    rows = np.repeat(np.arange(len(files), dtype=np.int64), counts)
    offsets = np.cumsum(counts) - counts
    flat = np.arange(total, dtype=np.int64) + np.repeat(starts - offsets, counts)
    return rows, flat


def _csr(lists: list[list[int]]) -> tuple[IntArray, IntArray]:
    counts = np.fromiter((len(x) for x in lists), np.int64, len(lists))
    ptr = np.zeros(len(lists) + 1, np.int64)
    np.cumsum(counts, out=ptr[1:])
    idx = np.fromiter((v for x in lists for v in sorted(x)), np.int64, int(ptr[-1]))
    return ptr, idx


@dataclass(frozen=True)
class Cone:
    """Result of a walk: `order` lists the cone's files by (depth, path); `depth[k]` is the depth
    of `order[k]`; `parent[i]` is file i's BFS parent (-1 for seeds and files outside the cone);
    `via_deleted[i]` names the deleted file a first-ring importer was reached through."""

    order: IntArray
    depth: IntArray
    parent: IntArray
    via_deleted: dict[int, str]


class BlastIndex:
    """CSR view of one graph (see the module docstring). Build with `from_graph`."""

    def __init__(self, g: nx.DiGraph) -> None:
        nodes = g._node
        files = sorted(n for n in nodes if n.startswith(_F))
        pos = {n: i for i, n in enumerate(files)}
        tests = sorted({p for n in files for p in g._pred[n] if p.startswith("test:")})
        test_pos = {t: i for i, t in enumerate(tests)}
        importers: list[list[int]] = []
        owners: list[list[str]] = []
        services: list[list[tuple[str, bool]]] = []
        linked_tests: list[list[int]] = []
        incidents: list[list[str]] = []
        defines = np.full(len(files), -1, np.int64)
        for i, n in enumerate(files):
            imp: list[int] = []
            lt: list[int] = []
            inc: list[str] = []
            for p, edge in g._pred[n].items():
                if p.startswith(_F):
                    imp.append(pos[p])
                    continue
                kind = edge.get("kind")
                if kind == "tests":
                    lt.append(test_pos[p])
                elif kind == "touched":
                    inc.append(p)
                elif kind == "defined_in" and p in test_pos:
                    defines[i] = test_pos[p]
            own: list[str] = []
            svc: list[tuple[str, bool]] = []
            for s, edge in g._succ[n].items():
                kind = edge.get("kind")
                if kind == "owned_by":
                    own.append(s)
                elif kind == "part_of":
                    svc.append((s, bool(edge.get("critical"))))
            importers.append(imp)
            owners.append(own)
            services.append(svc)
            linked_tests.append(lt)
            incidents.append(inc)

        self.files: list[str] = files
        self.pos: dict[str, int] = pos
        self.paths: npt.NDArray[np.object_] = np.array([n[len(_F) :] for n in files], dtype=object)
        self.imp_ptr, self.imp_idx = _csr(importers)
        lang = [nodes[n].get("lang", OTHER) != OTHER for n in files]
        self.has_lang: BoolArray = np.array(lang, dtype=bool)
        test_flag = np.array([bool(nodes[n].get("test", False)) for n in files], dtype=bool)
        self.is_code: BoolArray = self.has_lang & ~test_flag
        self.tested: BoolArray = np.array([bool(x) for x in linked_tests], dtype=bool)
        self.owners = _links(owners)
        service_ids = sorted({s for row in services for s, _ in row})
        spos = {s: i for i, s in enumerate(service_ids)}
        pairs = [sorted((spos[s], c) for s, c in row) for row in services]
        self.services = Links(*_csr([[s for s, _ in row] for row in pairs]), service_ids)
        self.service_critical: BoolArray = np.array(
            [c for row in pairs for _, c in row], dtype=bool
        )
        self.tests = Links(*_csr(linked_tests), tests)
        self.defines = defines
        self.incidents = _links(incidents)
        self.service_attrs: list[dict[str, Any]] = [dict(nodes[s]) for s in service_ids]
        # Incidents that name services (edges incident → service), keyed by service index.
        by_service: dict[int, list[str]] = {}
        for iid in sorted(n for n in nodes if n.startswith("incident:")):
            for s, edge in g._succ[iid].items():
                if edge.get("kind") == "affected" and s in spos:
                    by_service.setdefault(spos[s], []).append(iid)
        self.service_incidents = by_service
        self.incident_nodes: dict[str, dict[str, Any]] = {
            n: dict(nodes[n]) for n in nodes if n.startswith("incident:")
        }

    @classmethod
    def from_graph(cls, g: nx.DiGraph) -> BlastIndex:
        return cls(g)

    def __len__(self) -> int:
        return len(self.files)

    def indices(self, nodes: Iterable[str]) -> list[int]:
        return [self.pos[n] for n in nodes if n in self.pos]

    def walk(self, seeds: Iterable[int], ring1: dict[int, str], depth: int) -> Cone:
        """Files within `depth` reverse-import hops of `seeds`; `ring1` maps importers of
        deleted files (known only to the base graph) to the deleted file's path."""
        n = len(self.files)
        dist = np.full(n, -1, np.int64)
        parent = np.full(n, n, np.int64)
        frontier = np.unique(np.fromiter(seeds, np.int64))
        dist[frontier] = 0
        levels = [frontier]
        via: dict[int, str] = {}
        seen = np.zeros(n, dtype=bool)
        for d in range(1, depth + 1):
            rows, flat = _gather(self.imp_ptr, frontier)
            nbrs = self.imp_idx[flat]
            fresh = dist[nbrs] < 0
            rows, nbrs = rows[fresh], nbrs[fresh]
            # A new file's parent is the first frontier file (in path order, which is index
            # order) that it imports: the smallest index among its importees on the frontier.
            np.minimum.at(parent, nbrs, frontier[rows])
            seen[nbrs] = True
            found = np.flatnonzero(seen)  # sorted, without a sort
            seen[found] = False
            dist[found] = d
            if d == 1 and ring1:
                extra = [i for i in sorted(ring1) if dist[i] < 0]
                for i in extra:
                    via[i] = ring1[i]
                if extra:
                    found = np.union1d(found, np.array(extra, np.int64))
                    dist[found] = d
            if len(found) == 0:
                break
            levels.append(found)
            frontier = found
        order = np.concatenate(levels)
        parent[parent == n] = -1
        return Cone(order=order, depth=dist[order], parent=parent, via_deleted=via)

    def chain(self, cone: Cone, i: int) -> list[str]:
        """Shortest import chain from a changed file to file i: `[changed, …, path of i]`."""
        out = [str(self.paths[i])]
        cur = i
        while True:
            if cur in cone.via_deleted:
                out.append(cone.via_deleted[cur])
                break
            cur = int(cone.parent[cur])
            if cur < 0:
                break
            out.append(str(self.paths[cur]))
        return out[::-1]


def _links(rows: list[list[str]]) -> Links:
    names = sorted({v for row in rows for v in row})
    index = {v: i for i, v in enumerate(names)}
    ptr, idx = _csr([[index[v] for v in row] for row in rows])
    return Links(ptr, idx, names)
