"""Link coverage: the share of code files linked to at least one test, one owner, one service.

The denominator is the repository's non-test code files (Python, JS/TS, Go), leaving out
`__init__.py` files that only mark a package (empty, or a docstring): they hold no code.

A file counts as **tested** when a test reaches it within the blast radius's depth
(`policy.risk.depth`, default 3): some file that a test links to (by import, naming convention
or Go package) imports it directly or through at most `depth` import hops. That is the blast
radius's own notion: a change to the file makes that test a required test. `tested_directly`
counts the files a test links to with no hop.
"""

from __future__ import annotations

from pydantic import BaseModel

from graph.facts import OTHER
from graph.ids import file_id
from graph.ingest import CodeGraph


class CoverageReport(BaseModel):
    code_files: int
    depth: int
    tested: int
    tested_directly: int
    owned: int
    in_service: int
    tested_share: float
    owned_share: float
    service_share: float
    untested: list[str]
    unowned: list[str]
    unserviced: list[str]


def _reached_by_tests(cg: CodeGraph, depth: int) -> tuple[set[str], set[str]]:
    """(files within `depth` import hops of a test-linked file, the test-linked files)."""
    g = cg.graph
    direct = {
        n
        for n in g
        if n.startswith("file:") and any(d.get("kind") == "tests" for d in g._pred[n].values())
    }
    reached = set(direct)
    frontier = sorted(direct)
    for _ in range(depth):
        nxt = [
            m
            for n in frontier
            for m, d in g._succ[n].items()
            if d.get("kind") == "imports" and m not in reached
        ]
        reached.update(nxt)
        frontier = nxt
        if not frontier:
            break
    return reached, direct


def coverage(cg: CodeGraph, depth: int | None = None) -> CoverageReport:
    """Link coverage of the graph; `depth` defaults to the repository's `policy.risk.depth`."""
    hops = cg.services.policy.risk.depth if depth is None else depth
    code = sorted(
        p for p, f in cg.facts.items() if f.lang != OTHER and not f.test and not f.trivial
    )
    reached, direct = _reached_by_tests(cg, hops)
    g = cg.graph
    untested, unowned, unserviced = [], [], []
    for path in code:
        node = file_id(path)
        kinds = {d.get("kind") for d in g._succ[node].values()}
        if node not in reached:
            untested.append(path)
        if "owned_by" not in kinds:
            unowned.append(path)
        if "part_of" not in kinds:
            unserviced.append(path)
    n = len(code)

    def share(missing: list[str]) -> float:
        return (n - len(missing)) / n if n else 1.0

    return CoverageReport(
        code_files=n,
        depth=hops,
        tested=n - len(untested),
        tested_directly=sum(1 for p in code if file_id(p) in direct),
        owned=n - len(unowned),
        in_service=n - len(unserviced),
        tested_share=share(untested),
        owned_share=share(unowned),
        service_share=share(unserviced),
        untested=untested,
        unowned=unowned,
        unserviced=unserviced,
    )
