"""Blast radius: what a change can break, how risky it is, and why.

From the changed files, walk the reverse import graph (who imports them, who imports those …)
up to `RiskPolicy.depth` hops; a file `d` hops away weighs `decay ** d`. The risk score is the
weighted mean of six factors, each in [0, 1] and reported with its weight, value and the
evidence behind it (docs/graph.md, "Risk factors"):

- cone_size: Σ over cone files with a language of decay ** depth, divided by
  (cone_saturation × code files in the repository), capped at 1;
- critical_services: highest criticality score of an impacted service (1.0 if a declared
  critical path is in the cone);
- slos: SLOs of impacted services / slo_saturation, capped at 1;
- untested: share of non-test code files in the cone that no test links to;
- incidents: Σ over incidents within the window of recency × weight, capped at 1, where
  recency = 1 − age / incident_window_days (the evaluation date is an input) and the weight is
  that of the nearest cone file the incident touched; an incident that lists services but no
  paths counts when the cone reaches one of its services, with the weight of that service's
  nearest cone file;
- owners: 1 − 1 / (number of distinct owners of cone files and impacted services), 0 when none.

Reasons: for every impacted service and the first `reason_limit` critical files, the shortest
import chain from a changed file to it (breadth-first parents, ties broken by path order so
results are deterministic).

The walk and the sums run on the graph's integer-indexed CSR view (`graph.blast_index`), level by
level with numpy, so a query on a 100,000-file graph costs milliseconds even for a hub file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import networkx as nx
import numpy as np

from graph.blast_index import BlastIndex, Cone
from graph.blast_models import (
    BlastRadius,
    ConeDetail,
    Factor,
    ImpactedFile,
    ImpactedService,
    IncidentHit,
    ReasonPath,
    RequiredTest,
)
from graph.config import CRITICALITY_SCORE, RiskPolicy
from graph.facts import OTHER
from graph.ids import file_id, name_of
from graph.ingest import CodeGraph

__all__ = [
    "BlastRadius",
    "Factor",
    "ImpactedFile",
    "ImpactedService",
    "IncidentHit",
    "ReasonPath",
    "RequiredTest",
    "blast_radius",
    "blast_radius_on",
    "level_of",
]

_F = "file:"
REASON_LIMIT = 50  # critical files given a reason path; the rest are counted


def level_of(risk: float) -> str:
    return "high" if risk >= 0.66 else "medium" if risk >= 0.33 else "low"


def _ring1(
    g: nx.DiGraph, base: nx.DiGraph | None, seeds: list[str], ix: BlastIndex
) -> dict[int, str]:
    """Importers of deleted files (known only from the base graph): the cone's first ring."""
    ring1: dict[int, str] = {}
    if base is None:
        return ring1
    for node in seeds:
        if node not in g and node in base:
            for p in sorted(base.pred[node]):
                if p.startswith(_F) and p in ix.pos:
                    ring1.setdefault(ix.pos[p], name_of(node))
    return ring1


def _services(ix: BlastIndex, cone: Cone) -> tuple[list[tuple[int, int, int, int]], np.ndarray]:
    """(service index, nearest file, its depth, files) per impacted service, and the critical
    files of the cone in (depth, path) order."""
    rows, svc, flat = ix.services.gather(cone.order)
    # `rows` ascends (cone order is (depth, path)): a service's first row is its nearest file.
    first = np.full(len(ix.services.names), len(rows), np.int64)
    np.minimum.at(first, svc, np.arange(len(rows), dtype=np.int64))
    counts = np.bincount(svc, minlength=len(ix.services.names))
    found = [
        (s, int(cone.order[rows[first[s]]]), int(cone.depth[rows[first[s]]]), int(counts[s]))
        for s in np.flatnonzero(counts).tolist()
    ]
    crit_rows = rows[ix.service_critical[flat]]
    if len(crit_rows):  # a file in two services has two rows: keep one (rows ascend)
        crit_rows = crit_rows[np.concatenate(([True], crit_rows[1:] != crit_rows[:-1]))]
    return found, cone.order[crit_rows]


def _incidents(
    ix: BlastIndex,
    cone: Cone,
    weights: list[float],
    services: list[tuple[int, int, int, int]],
    today: dt.date,
    window: int,
) -> tuple[list[IncidentHit], float]:
    rows, inc, _ = ix.incidents.gather(cone.order)
    # incident ID → (weight, touched cone paths, impacted services it names)
    hits: dict[str, tuple[float, list[str], list[str]]] = {}
    for k in np.unique(inc).tolist():
        on = rows[inc == k]
        paths = sorted(ix.paths[cone.order[on]].tolist())
        hits[ix.incidents.names[k]] = (weights[int(cone.depth[on[0]])], paths, [])
    for s, _, depth, _ in services:
        for iid in ix.service_incidents.get(s, []):
            named = name_of(ix.services.names[s])
            weight, paths, names = hits.get(iid, (0.0, [], []))
            if not ix.incident_nodes[iid].get("paths"):
                weight = max(weight, weights[depth])
            hits[iid] = (weight, paths, [*names, named])
    out: list[IncidentHit] = []
    score = 0.0
    for iid in sorted(hits):
        weight, paths, names = hits[iid]
        if not paths and weight == 0.0:
            continue  # names an impacted service but lists paths the cone does not reach
        attrs = ix.incident_nodes[iid]
        date = dt.date.fromisoformat(attrs["date"])
        age = (today - date).days
        if age < 0 or age > window:
            continue
        score += (1 - age / window) * weight
        out.append(
            IncidentHit(
                id=name_of(iid),
                date=date,
                age_days=age,
                severity=attrs.get("severity", ""),
                title=attrs.get("title", ""),
                paths=paths,
                services=sorted(names),
            )
        )
    return out, score


def _required(ix: BlastIndex, cone: Cone) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Tests linked to cone files and tests defined by cone files, by (depth, test ID)."""
    rows, tests, _ = ix.tests.gather(cone.order)
    defined = ix.defines[cone.order]
    own = defined >= 0
    never = np.iinfo(np.int64).max
    depth = np.full(len(ix.tests.names), never, np.int64)
    np.minimum.at(
        depth,
        np.concatenate([tests, defined[own]]),
        np.concatenate([cone.depth[rows], cone.depth[own]]),
    )
    required = np.nonzero(depth != never)[0]
    ranked = required[np.lexsort((required, depth[required]))]
    return rows, tests, ranked, depth[ranked]


def blast_radius_on(
    g: nx.DiGraph,
    changed: Iterable[str],
    today: dt.date,
    policy: RiskPolicy,
    code_files: int,
    base: nx.DiGraph | None = None,
    index: BlastIndex | None = None,
    reason_limit: int = REASON_LIMIT,
) -> BlastRadius:
    """Blast radius on a bare graph (see `blast_radius` for the CodeGraph entry point).

    `index` is the graph's CSR view; pass it when querying one graph many times."""
    ix = index if index is not None else BlastIndex.from_graph(g)
    changed_paths = sorted(set(changed))
    seeds = [file_id(p) for p in changed_paths]
    depth_limit = policy.depth if seeds else 0
    cone = ix.walk(ix.indices(seeds), _ring1(g, base, seeds, ix), depth_limit)
    weights = [policy.decay**d for d in range(depth_limit + 1)]
    order, depth = cone.order, cone.depth

    code = ix.is_code[order]
    untested = ix.paths[order[code & ~ix.tested[order]]].tolist()
    code_in_cone = int(code.sum())
    per_depth = np.bincount(depth[ix.has_lang[order]], minlength=depth_limit + 1).tolist()
    weighted_cone = sum(n * weights[d] for d, n in enumerate(per_depth))
    _, owner_links, _ = ix.owners.gather(order)
    present = np.flatnonzero(np.bincount(owner_links, minlength=len(ix.owners.names)))
    owners = {name_of(ix.owners.names[k]) for k in present.tolist()}

    found, critical = _services(ix, cone)
    services: list[ImpactedService] = []
    for s, nearest, d, files in found:
        attrs = ix.service_attrs[s]
        sid = ix.services.names[s]
        services.append(
            ImpactedService(
                name=name_of(sid),
                criticality=attrs.get("criticality", "medium"),
                owners=list(attrs.get("owners", [])),
                slos=list(attrs.get("slos", [])),
                files=files,
                depth=d,
                reason=ReasonPath(target=sid, kind="service", path=ix.chain(cone, nearest)),
            )
        )
        owners.update(attrs.get("owners", []))
    critical_paths = [
        ReasonPath(target=ix.files[i], kind="critical_file", path=ix.chain(cone, i))
        for i in critical[:reason_limit].tolist()
    ]
    hits, incident_score = _incidents(ix, cone, weights, found, today, policy.incident_window_days)

    crit_score = max((CRITICALITY_SCORE.get(s.criticality, 0.4) for s in services), default=0.0)
    if len(critical):
        crit_score = 1.0
    slo_count = sum(len(s.slos) for s in services)
    values: dict[str, tuple[float, float | int, list[str], dict[str, float | int]]] = {
        "cone_size": (
            min(1.0, weighted_cone / (policy.cone_saturation * code_files)) if code_files else 0.0,
            round(weighted_cone, 3),
            [],
            {"files": len(order), "depth": policy.depth, "code_files": code_files},
        ),
        "critical_services": (
            crit_score,
            crit_score,
            [f"{s.name}:{s.criticality}" for s in services] + ix.paths[critical].tolist(),
            {},
        ),
        "slos": (
            min(1.0, slo_count / policy.slo_saturation),
            slo_count,
            [f"{s.name}:{slo.get('name')}" for s in services for slo in s.slos],
            {},
        ),
        "untested": (
            len(untested) / code_in_cone if code_in_cone else 0.0,
            len(untested),
            untested,
            {"code_files": code_in_cone},
        ),
        "incidents": (min(1.0, incident_score), len(hits), [h.id for h in hits], {}),
        "owners": (1 - 1 / len(owners) if owners else 0.0, len(owners), sorted(owners), {}),
    }
    factors = []
    total_weight = sum(policy.weights.get(k, 0.0) for k in values)
    risk = 0.0
    for name, (value, actual, facts, figures) in values.items():
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
                reason=name,
                facts=facts,
                figures=figures,
            )
        )
    risk = min(1.0, max(0.0, round(risk, 4)))
    test_rows, test_ids, required, required_depth = _required(ix, cone)
    result = BlastRadius(
        evaluated_on=today,
        depth_limit=policy.depth,
        changed=changed_paths,
        impacted_count=len(order),
        services=services,
        critical_files=critical_paths,
        critical_file_count=len(critical),
        owners=sorted(owners),
        required_test_count=len(required),
        incidents=hits,
        factors=factors,
        risk=risk,
        level=level_of(risk),
    )
    result._detail = ConeDetail(ix, cone, weights, test_rows, test_ids, required, required_depth)
    return result


def blast_radius(
    cg: CodeGraph,
    changed: Iterable[str],
    today: dt.date,
    policy: RiskPolicy | None = None,
    base: CodeGraph | None = None,
    reason_limit: int = REASON_LIMIT,
) -> BlastRadius:
    """Blast radius of `changed` paths on the head graph `cg`.

    `today` is the evaluation date (incident recency); `policy` defaults to the repository's
    services.yml `policy.risk`; `base` (the base commit's graph) lets deleted files seed the cone.
    The graph's CSR view is built on the first query and reused until the graph is updated.
    """
    code_files = sum(1 for f in cg.facts.values() if f.lang != OTHER and not f.test)
    return blast_radius_on(
        cg.graph,
        changed,
        today,
        policy or cg.services.policy.risk,
        code_files,
        base.graph if base is not None else None,
        index=cg.blast_index(),
        reason_limit=reason_limit,
    )
