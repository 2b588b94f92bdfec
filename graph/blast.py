"""Blast radius: what a change can break, how risky it is, and why.

From the changed files, walk the reverse import graph (who imports them, who imports those …)
up to `RiskPolicy.depth` hops; a file `d` hops away weighs `decay ** d`. The risk score is the
weighted mean of six factors, each in [0, 1] and reported with its weight, value and the
evidence behind it (docs/graph.md, "Risk factors"):

- cone_size: weighted cone size / (cone_saturation × code files in the repository), capped at 1;
- critical_services: highest criticality score of an impacted service (1.0 if a declared
  critical path is in the cone);
- slos: SLOs of impacted services / slo_saturation, capped at 1;
- untested: share of non-test code files in the cone that no test links to;
- incidents: Σ over incidents on cone files within the window of recency × file weight, capped at 1,
  where recency = 1 − age / incident_window_days (the evaluation date is an input);
- owners: 1 − 1 / (number of distinct owners of cone files), 0 when none.

Reasons: for every impacted service and critical file, the shortest import chain from a changed
file to it (breadth-first parents, ties broken by path order so results are deterministic).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import networkx as nx
from pydantic import BaseModel, Field

from graph.config import CRITICALITY_SCORE, RiskPolicy
from graph.facts import OTHER
from graph.ids import file_id, name_of
from graph.ingest import CodeGraph

_F = "file:"


class Factor(BaseModel):
    name: str
    weight: float
    value: float = Field(ge=0, le=1)
    contribution: float
    actual: float | int
    reason: str = Field(description="reason code, phrased by the template")
    facts: list[str] = Field(default_factory=list)


class ImpactedFile(BaseModel):
    path: str
    depth: int
    weight: float
    tested: bool
    owners: list[str]


class ReasonPath(BaseModel):
    """Shortest import chain: `path[0]` changed, each next file imports the previous one."""

    target: str = Field(description="node ID: service:… or file:…")
    kind: str = Field(description="service | critical_file")
    path: list[str]

    @property
    def hops(self) -> int:
        return len(self.path) - 1


class ImpactedService(BaseModel):
    name: str
    criticality: str
    owners: list[str]
    slos: list[dict[str, object]]
    files: int
    depth: int
    reason: ReasonPath


class RequiredTest(BaseModel):
    path: str
    covers: list[str]
    depth: int


class IncidentHit(BaseModel):
    id: str
    date: dt.date
    age_days: int
    severity: str = ""
    title: str = ""
    paths: list[str]


class BlastRadius(BaseModel):
    evaluated_on: dt.date
    depth_limit: int
    changed: list[str]
    impacted: list[ImpactedFile]
    services: list[ImpactedService]
    critical_files: list[ReasonPath]
    owners: list[str]
    required_tests: list[RequiredTest]
    incidents: list[IncidentHit]
    factors: list[Factor]
    risk: float = Field(ge=0, le=1)
    level: str

    def reasons(self) -> list[ReasonPath]:
        return [s.reason for s in self.services] + self.critical_files


def level_of(risk: float) -> str:
    return "high" if risk >= 0.66 else "medium" if risk >= 0.33 else "low"


def _cone(
    g: nx.DiGraph, seeds: list[str], ring1: dict[str, str], depth: int
) -> tuple[dict[str, int], dict[str, str | None]]:
    """Depth and BFS parent of every file within `depth` reverse-import hops of a seed.

    `ring1` maps importers of deleted files (known only to the base graph) to the deleted file.
    """
    dist = dict.fromkeys(seeds, 0)
    parent: dict[str, str | None] = dict.fromkeys(seeds)
    frontier = sorted(s for s in seeds if s in g)
    pred = g._pred
    for d in range(1, depth + 1):
        nxt: list[str] = []
        # The frontier is sorted, so a file's parent is the first frontier file (in path order)
        # that it imports, whatever order networkx stores predecessors in: deterministic.
        for node in frontier:
            for p in pred[node]:
                if p.startswith(_F) and p not in dist:
                    dist[p] = d
                    parent[p] = node
                    nxt.append(p)
        if d == 1:
            for p, via in sorted(ring1.items()):
                if p not in dist:
                    dist[p] = 1
                    parent[p] = via
                    nxt.append(p)
        if not nxt:
            break
        frontier = sorted(nxt)
    return dist, parent


def _chain(node: str, parent: dict[str, str | None]) -> list[str]:
    out = [name_of(node)]
    cur = parent.get(node)
    while cur is not None:
        out.append(name_of(cur))
        cur = parent.get(cur)
    return out[::-1]


def blast_radius_on(
    g: nx.DiGraph,
    changed: Iterable[str],
    today: dt.date,
    policy: RiskPolicy,
    code_files: int,
    base: nx.DiGraph | None = None,
) -> BlastRadius:
    """Blast radius on a bare graph (see `blast_radius` for the CodeGraph entry point)."""
    changed_paths = sorted(set(changed))
    seeds = [file_id(p) for p in changed_paths]
    ring1: dict[str, str] = {}
    for node in seeds:
        if node not in g and base is not None and node in base:
            # Deleted file: its importers (known from the base graph) are the first ring.
            for p in sorted(base.pred[node]):
                if p.startswith(_F) and p in g:
                    ring1.setdefault(p, node)
    dist, parent = _cone(g, seeds, ring1, policy.depth if seeds else 0)
    weight = {n: policy.decay**d for n, d in dist.items()}

    impacted: list[ImpactedFile] = []
    owners: set[str] = set()
    untested: list[str] = []
    code_in_cone = 0
    service_hits: dict[str, list[str]] = {}
    critical: list[str] = []
    incident_files: dict[str, list[str]] = {}
    tests: dict[str, tuple[int, set[str]]] = {}
    # networkx's raw adjacency dicts: iterating the public AtlasViews costs ~5x more per edge,
    # which dominates on cones of tens of thousands of files.
    succ, pred = g._succ, g._pred
    for node in sorted(dist, key=lambda n: (dist[n], n)):
        if node not in g:
            continue
        attrs = g.nodes[node]
        file_owners: list[str] = []
        tested = False
        for s, edge in succ[node].items():
            kind = edge.get("kind")
            if kind == "owned_by":
                file_owners.append(name_of(s))
            elif kind == "part_of":
                service_hits.setdefault(s, []).append(node)
                if edge.get("critical"):
                    critical.append(node)
        for p, edge in pred[node].items():
            if p.startswith(_F):
                continue  # importers were handled by the cone walk
            kind = edge.get("kind")
            if kind == "tests":
                tested = True
                depth, covers = tests.get(p, (dist[node], set()))
                covers.add(name_of(node))
                tests[p] = (min(depth, dist[node]), covers)
            elif kind == "touched":
                incident_files.setdefault(p, []).append(node)
            elif kind == "defined_in" and p.startswith("test:"):
                tests.setdefault(p, (dist[node], set()))
        owners.update(file_owners)
        is_code = attrs.get("lang", OTHER) != OTHER and not attrs.get("test", False)
        if is_code:
            code_in_cone += 1
            if not tested:
                untested.append(name_of(node))
        impacted.append(
            ImpactedFile(
                path=name_of(node),
                depth=dist[node],
                weight=weight[node],
                tested=tested,
                owners=sorted(file_owners),
            )
        )

    services: list[ImpactedService] = []
    for sid in sorted(service_hits):
        files = service_hits[sid]
        nearest = min(files, key=lambda n: (dist[n], n))
        attrs = g.nodes[sid]
        services.append(
            ImpactedService(
                name=name_of(sid),
                criticality=attrs.get("criticality", "medium"),
                owners=list(attrs.get("owners", [])),
                slos=list(attrs.get("slos", [])),
                files=len(files),
                depth=dist[nearest],
                reason=ReasonPath(target=sid, kind="service", path=_chain(nearest, parent)),
            )
        )
        owners.update(attrs.get("owners", []))
    critical_paths = [
        ReasonPath(target=n, kind="critical_file", path=_chain(n, parent))
        for n in sorted(set(critical), key=lambda n: (dist[n], n))
    ]

    hits: list[IncidentHit] = []
    incident_score = 0.0
    for iid in sorted(incident_files):
        attrs = g.nodes[iid]
        date = dt.date.fromisoformat(attrs["date"])
        age = (today - date).days
        if age < 0 or age > policy.incident_window_days:
            continue
        files = incident_files[iid]
        recency = 1 - age / policy.incident_window_days
        incident_score += recency * max(weight[f] for f in files)
        hits.append(
            IncidentHit(
                id=name_of(iid),
                date=date,
                age_days=age,
                severity=attrs.get("severity", ""),
                title=attrs.get("title", ""),
                paths=sorted(name_of(f) for f in files),
            )
        )

    nodes = g._node
    weighted_cone = sum(
        w for n, w in weight.items() if n in nodes and nodes[n].get("lang", OTHER) != OTHER
    )
    crit_score = max((CRITICALITY_SCORE.get(s.criticality, 0.4) for s in services), default=0.0)
    if critical_paths:
        crit_score = 1.0
    slo_count = sum(len(s.slos) for s in services)
    values: dict[str, tuple[float, float | int, str, list[str]]] = {
        "cone_size": (
            min(1.0, weighted_cone / (policy.cone_saturation * code_files)) if code_files else 0.0,
            round(weighted_cone, 3),
            "cone_size",
            [f"{len(impacted)} files within {policy.depth} hops, {code_files} code files in repo"],
        ),
        "critical_services": (
            crit_score,
            crit_score,
            "critical_services",
            [f"{s.name}:{s.criticality}" for s in services] + [c.path[-1] for c in critical_paths],
        ),
        "slos": (
            min(1.0, slo_count / policy.slo_saturation),
            slo_count,
            "slos",
            [f"{s.name}:{slo.get('name')}" for s in services for slo in s.slos],
        ),
        "untested": (
            len(untested) / code_in_cone if code_in_cone else 0.0,
            len(untested),
            "untested",
            untested,
        ),
        "incidents": (min(1.0, incident_score), len(hits), "incidents", [h.id for h in hits]),
        "owners": (1 - 1 / len(owners) if owners else 0.0, len(owners), "owners", sorted(owners)),
    }
    factors = []
    total_weight = sum(policy.weights.get(k, 0.0) for k in values)
    risk = 0.0
    for name, (value, actual, reason, facts) in values.items():
        w = policy.weights.get(name, 0.0)
        contribution = w * value / total_weight if total_weight else 0.0
        risk += contribution
        factors.append(
            Factor(
                name=name,
                weight=w,
                value=round(value, 4),
                contribution=round(contribution, 4),
                actual=actual,
                reason=reason,
                facts=facts,
            )
        )
    risk = min(1.0, max(0.0, round(risk, 4)))
    required = [
        RequiredTest(path=name_of(t), covers=sorted(covers), depth=depth)
        for t, (depth, covers) in sorted(tests.items(), key=lambda kv: (kv[1][0], kv[0]))
    ]
    return BlastRadius(
        evaluated_on=today,
        depth_limit=policy.depth,
        changed=changed_paths,
        impacted=impacted,
        services=services,
        critical_files=critical_paths,
        owners=sorted(owners),
        required_tests=required,
        incidents=hits,
        factors=factors,
        risk=risk,
        level=level_of(risk),
    )


def blast_radius(
    cg: CodeGraph,
    changed: Iterable[str],
    today: dt.date,
    policy: RiskPolicy | None = None,
    base: CodeGraph | None = None,
) -> BlastRadius:
    """Blast radius of `changed` paths on the head graph `cg`.

    `today` is the evaluation date (incident recency); `policy` defaults to the repository's
    services.yml `policy.risk`; `base` (the base commit's graph) lets deleted files seed the cone.
    """
    code_files = sum(1 for f in cg.facts.values() if f.lang != OTHER and not f.test)
    return blast_radius_on(
        cg.graph,
        changed,
        today,
        policy or cg.services.policy.risk,
        code_files,
        base.graph if base is not None else None,
    )
