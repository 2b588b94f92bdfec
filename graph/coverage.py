"""Link coverage: the share of code files linked to at least one test, one owner, one service.

The denominator is the repository's non-test code files (Python, JS/TS, Go). A file counts as
tested when some test links to it directly (by import or naming convention).
"""

from __future__ import annotations

from pydantic import BaseModel

from graph.facts import OTHER
from graph.ids import file_id
from graph.ingest import CodeGraph


class CoverageReport(BaseModel):
    code_files: int
    tested: int
    owned: int
    in_service: int
    tested_share: float
    owned_share: float
    service_share: float
    untested: list[str]
    unowned: list[str]
    unserviced: list[str]


def _linked(cg: CodeGraph, path: str) -> tuple[bool, bool, bool]:
    node = file_id(path)
    g = cg.graph
    tested = any(g.edges[p, node].get("kind") == "tests" for p in g.pred[node])
    kinds = {g.edges[node, s].get("kind") for s in g.succ[node]}
    return tested, "owned_by" in kinds, "part_of" in kinds


def coverage(cg: CodeGraph) -> CoverageReport:
    code = sorted(p for p, f in cg.facts.items() if f.lang != OTHER and not f.test)
    untested, unowned, unserviced = [], [], []
    for path in code:
        tested, owned, served = _linked(cg, path)
        if not tested:
            untested.append(path)
        if not owned:
            unowned.append(path)
        if not served:
            unserviced.append(path)
    n = len(code)

    def share(missing: list[str]) -> float:
        return (n - len(missing)) / n if n else 1.0

    return CoverageReport(
        code_files=n,
        tested=n - len(untested),
        owned=n - len(unowned),
        in_service=n - len(unserviced),
        tested_share=share(untested),
        owned_share=share(unowned),
        service_share=share(unserviced),
        untested=untested,
        unowned=unowned,
        unserviced=unserviced,
    )
