"""A plain reference implementation of the blast radius, on networkx dicts, for equality tests.

It is the straightforward per-node walk the CSR implementation (`graph.blast`) replaced: a
breadth-first search over predecessors with sorted frontiers, then Python loops over the cone.
It returns the same structure as `BlastRadius.model_dump()`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import networkx as nx

from graph.config import CRITICALITY_SCORE, RiskPolicy
from graph.facts import OTHER

F = "file:"


def name_of(node: str) -> str:
    return node.split(":", 1)[1]


def reference_blast(
    g: nx.DiGraph,
    changed: list[str],
    today: dt.date,
    policy: RiskPolicy,
    code_files: int,
    base: nx.DiGraph | None = None,
    reason_limit: int = 50,
) -> dict[str, Any]:
    paths = sorted(set(changed))
    seeds = [F + p for p in paths]
    ring1: dict[str, str] = {}
    for node in seeds:
        if node not in g and base is not None and node in base:
            for p in sorted(base.pred[node]):
                if p.startswith(F) and p in g:
                    ring1.setdefault(p, node)
    depth_limit = policy.depth if seeds else 0
    dist: dict[str, int] = dict.fromkeys(seeds, 0)
    parent: dict[str, str | None] = dict.fromkeys(seeds)
    frontier = sorted(s for s in seeds if s in g)
    for d in range(1, depth_limit + 1):
        nxt = []
        for node in frontier:
            for p in sorted(g.pred[node]):
                if p.startswith(F) and p not in dist:
                    dist[p], parent[p] = d, node
                    nxt.append(p)
        if d == 1:
            for p, via in sorted(ring1.items()):
                if p not in dist:
                    dist[p], parent[p] = 1, via
                    nxt.append(p)
        if not nxt:
            break
        frontier = sorted(nxt)

    def chain(node: str) -> list[str]:
        out: list[str] = []
        cur: str | None = node
        while cur is not None:
            out.append(name_of(cur))
            cur = parent.get(cur)
        return out[::-1]

    weight = [policy.decay**d for d in range(depth_limit + 1)]
    cone = sorted((n for n in dist if n in g), key=lambda n: (dist[n], n))
    impacted, untested, owners = [], [], set()
    svc_files: dict[str, list[str]] = {}
    critical: list[str] = []
    inc_files: dict[str, list[str]] = {}
    tests: dict[str, tuple[int, list[str]]] = {}
    per_depth = [0] * (depth_limit + 1)
    code_in_cone = 0
    for node in cone:
        attrs = g.nodes[node]
        file_owners = sorted(
            name_of(s) for s in g.succ[node] if g.edges[node, s]["kind"] == "owned_by"
        )
        owners.update(file_owners)
        for s in sorted(g.succ[node]):
            edge = g.edges[node, s]
            if edge["kind"] == "part_of":
                svc_files.setdefault(s, []).append(node)
                if edge.get("critical") and node not in critical:
                    critical.append(node)
        tested = False
        for p in sorted(g.pred[node]):
            kind = g.edges[p, node]["kind"]
            if kind == "tests":
                tested = True
                tests.setdefault(p, (dist[node], []))[1].append(name_of(node))
            elif kind == "touched":
                inc_files.setdefault(p, []).append(node)
            elif kind == "defined_in" and p.startswith("test:"):
                tests.setdefault(p, (dist[node], []))
        if attrs.get("lang", OTHER) != OTHER:
            per_depth[dist[node]] += 1
            if not attrs.get("test", False):
                code_in_cone += 1
                if not tested:
                    untested.append(name_of(node))
        impacted.append(
            {
                "path": name_of(node),
                "depth": dist[node],
                "weight": weight[dist[node]],
                "tested": tested,
                "owners": file_owners,
            }
        )

    services = []
    for sid in sorted(svc_files):
        nearest = svc_files[sid][0]
        attrs = g.nodes[sid]
        owners.update(attrs.get("owners", []))
        services.append(
            {
                "name": name_of(sid),
                "criticality": attrs.get("criticality", "medium"),
                "owners": list(attrs.get("owners", [])),
                "slos": list(attrs.get("slos", [])),
                "files": len(svc_files[sid]),
                "depth": dist[nearest],
                "reason": {"target": sid, "kind": "service", "path": chain(nearest)},
            }
        )

    # Incidents: on cone files they touched, or (listing no paths) on impacted services.
    incident_hits: dict[str, tuple[float, list[str], list[str]]] = {}
    for iid, files in inc_files.items():
        incident_hits[iid] = (weight[dist[files[0]]], sorted(name_of(f) for f in files), [])
    for s in services:
        sid = s["reason"]["target"]
        for iid in sorted(g.pred[sid]):
            if g.edges[iid, sid]["kind"] != "affected":
                continue
            w, touched, names = incident_hits.get(iid, (0.0, [], []))
            if not g.nodes[iid].get("paths"):
                w = max(w, weight[s["depth"]])
            incident_hits[iid] = (w, touched, [*names, s["name"]])
    hits, score = [], 0.0
    for iid in sorted(incident_hits):
        w, touched, names = incident_hits[iid]
        attrs = g.nodes[iid]
        age = (today - dt.date.fromisoformat(attrs["date"])).days
        if (not touched and w == 0.0) or age < 0 or age > policy.incident_window_days:
            continue
        score += (1 - age / policy.incident_window_days) * w
        hits.append(
            {
                "id": name_of(iid),
                "date": dt.date.fromisoformat(attrs["date"]),
                "age_days": age,
                "severity": attrs.get("severity", ""),
                "title": attrs.get("title", ""),
                "paths": touched,
                "services": sorted(names),
            }
        )

    weighted = sum(n * weight[d] for d, n in enumerate(per_depth))
    crit = max((CRITICALITY_SCORE.get(s["criticality"], 0.4) for s in services), default=0.0)
    if critical:
        crit = 1.0
    slos = sum(len(s["slos"]) for s in services)
    values = {
        "cone_size": (
            min(1.0, weighted / (policy.cone_saturation * code_files)) if code_files else 0.0,
            round(weighted, 3),
            [],
            {"files": len(cone), "depth": policy.depth, "code_files": code_files},
        ),
        "critical_services": (
            crit,
            crit,
            [f"{s['name']}:{s['criticality']}" for s in services] + [name_of(c) for c in critical],
            {},
        ),
        "slos": (
            min(1.0, slos / policy.slo_saturation),
            slos,
            [f"{s['name']}:{o.get('name')}" for s in services for o in s["slos"]],
            {},
        ),
        "untested": (
            len(untested) / code_in_cone if code_in_cone else 0.0,
            len(untested),
            untested,
            {"code_files": code_in_cone},
        ),
        "incidents": (min(1.0, score), len(hits), [h["id"] for h in hits], {}),
        "owners": (1 - 1 / len(owners) if owners else 0.0, len(owners), sorted(owners), {}),
    }
    total = sum(policy.weights.get(k, 0.0) for k in values)
    factors, risk = [], 0.0
    for name, (value, actual, facts, figures) in values.items():
        w = policy.weights.get(name, 0.0)
        contribution = w * value / total if total else 0.0
        risk += contribution
        factors.append(
            {
                "name": name,
                "weight": w,
                "value": round(value, 4),
                "contribution": round(contribution, 4),
                "actual": actual,
                "reason": name,
                "facts": facts,
                "figures": figures,
            }
        )
    risk = min(1.0, max(0.0, round(risk, 4)))
    required = [
        {"path": name_of(t), "covers": sorted(covers), "depth": d}
        for t, (d, covers) in sorted(tests.items(), key=lambda kv: (kv[1][0], kv[0]))
    ]
    return {
        "evaluated_on": today,
        "depth_limit": policy.depth,
        "changed": paths,
        "impacted_count": len(cone),
        "services": services,
        "critical_files": [
            {"target": c, "kind": "critical_file", "path": chain(c)}
            for c in critical[:reason_limit]
        ],
        "critical_file_count": len(critical),
        "owners": sorted(owners),
        "required_test_count": len(required),
        "incidents": hits,
        "factors": factors,
        "risk": risk,
        "level": "high" if risk >= 0.66 else "medium" if risk >= 0.33 else "low",
        "impacted": impacted,
        "required_tests": required,
    }
