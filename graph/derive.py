"""Derivation: turn one file's facts (plus repository-wide context) into nodes and edges.

A *unit* is one file path or the services unit (`SERVICES_UNIT`). Deriving a unit returns its
contribution: the nodes and edges it adds to the graph and the *probes* it looked at (paths
whose existence decided an import, directories of Go packages, basenames for test naming).
When a probed key changes, the unit is derived again; that is what makes incremental updates
equal a full rebuild.

Edge kinds (u → v reads "u depends on / belongs to v"):
imports file→file · defined_in module→file, test→file · tests test→file
(via import|naming|package)
· owned_by file→owner, service→owner · part_of file→service · belongs_to target→service
· built_from target→file · depends_on target→target · touched incident→file
· affected incident→service.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from graph import codeowners, lang_go, lang_js, lang_python
from graph.config import SERVICES_PATH, ServicesConfig, Target
from graph.facts import GO, JS, PYTHON, FileFacts
from graph.globs import PatternSet
from graph.ids import (
    file_id,
    incident_id,
    module_id,
    owner_id,
    service_id,
    target_id,
    test_id,
)

SERVICES_UNIT = "@services"
_TEST_DIRS = {"tests", "test", "src", "__tests__", "testing"}


@dataclass(frozen=True)
class Contribution:
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    probes: frozenset[str] = frozenset()


class RepoIndex(Protocol):
    """What derivation may ask about the repository besides the unit's own facts."""

    def exists(self, path: str) -> bool: ...

    def stem_files(self, basename: str) -> set[str]: ...

    def package_files(self, directory: str) -> set[str]: ...


@dataclass
class Context:
    """Repository-wide configuration that decides links: rebuilt when a config file changes."""

    owners: codeowners.CodeOwners | None
    services: ServicesConfig
    service_match: list[tuple[str, PatternSet, PatternSet]]
    target_match: list[tuple[str, Target, PatternSet]]
    incident_match: list[tuple[str, PatternSet]]
    tsconfigs: dict[str, lang_js.TsConfig]
    gomods: dict[str, str]


def build_context(facts: dict[str, FileFacts]) -> Context:
    owners_path = codeowners.select(frozenset(facts))
    owners = facts[owners_path].codeowners if owners_path else None
    svc_facts = facts.get(SERVICES_PATH)
    services = svc_facts.services if svc_facts and svc_facts.services else ServicesConfig()
    raw_ts = {p: f.tsconfig for p, f in facts.items() if f.tsconfig is not None}
    tsconfigs = {p: lang_js.effective(cfg, raw_ts) for p, cfg in raw_ts.items()}
    gomods = {
        f.go_module: posixpath.dirname(p) for p, f in facts.items() if f.go_module is not None
    }
    return Context(
        owners=owners,
        services=services,
        service_match=[
            (s.name, PatternSet(s.paths), PatternSet(s.critical_paths)) for s in services.services
        ],
        target_match=[
            (target_id(t.kind, t.name), t, PatternSet(t.sources)) for _, t in services.all_targets()
        ],
        incident_match=[(incident_id(i.id), PatternSet(i.paths)) for i in services.incidents],
        tsconfigs=tsconfigs,
        gomods=gomods,
    )


def _first_existing(cands: Iterable[str], index: RepoIndex, probes: set[str]) -> str | None:
    for cand in cands:
        probes.add(cand)
        if index.exists(cand):
            return cand
    return None


def _python_targets(facts: FileFacts, index: RepoIndex, probes: set[str]) -> list[str]:
    """Files a Python file's imports run: the module each import resolves to and the
    `__init__.py` of every parent package below its root (Python runs those first). Each
    parent is probed, so adding or deleting one re-derives this file."""
    found = []
    for imp in facts.py_imports:
        for group in lang_python.candidate_groups(facts.path, imp):
            for cand, root in group:
                probes.add(cand)
                if index.exists(cand):
                    found.append(cand)
                    for init in lang_python.package_inits(root, cand):
                        probes.add(init)
                        if index.exists(init):
                            found.append(init)
                    break
    return found


def _js_targets(facts: FileFacts, ctx: Context, index: RepoIndex, probes: set[str]) -> list[str]:
    cfg_path = _first_existing(lang_js.tsconfig_candidates(facts.path), index, probes)
    cfg = ctx.tsconfigs.get(cfg_path) if cfg_path else None
    found = []
    for spec in facts.specs:
        hit = _first_existing(lang_js.candidates(facts.path, spec, cfg), index, probes)
        if hit is not None:
            found.append(hit)
    return found


def _go_targets(facts: FileFacts, ctx: Context, index: RepoIndex, probes: set[str]) -> list[str]:
    found = []
    for spec in facts.specs:
        directory = lang_go.package_dir(spec, ctx.gomods)
        if directory is None:
            continue
        probes.add(f"godir:{directory}")
        found += sorted(index.package_files(directory))
    return found


def _naming_targets(facts: FileFacts, index: RepoIndex, probes: set[str]) -> list[str]:
    """Code files a test exercises by naming convention (for Go: `x_test.go` → `x.go`)."""
    directory, base = posixpath.split(facts.path)
    if facts.lang == GO:
        hit = _first_existing([facts.path[: -len("_test.go")] + ".go"], index, probes)
        return [hit] if hit else []
    if facts.lang == JS:
        parts = base.split(".")
        stem = ".".join(p for p in parts[:-1] if p not in ("test", "spec"))
        dirs = [directory]
        if posixpath.basename(directory) == "__tests__":
            dirs.append(posixpath.dirname(directory))
        cands = [posixpath.join(d, stem + ext) for d in dirs for ext in lang_js.SOURCE_EXTS]
        hit = _first_existing(cands, index, probes)
        return [hit] if hit else []
    if facts.lang == PYTHON:
        stem = base[: -len(".py")] if base.endswith(".py") else base
        if stem.startswith("test_"):
            stem = stem[len("test_") :]
        elif stem.endswith("_tests"):
            stem = stem[: -len("_tests")]
        elif stem.endswith("_test"):
            stem = stem[: -len("_test")]
        key = stem + ".py"
        probes.add(f"pystem:{key}")
        cands = sorted(index.stem_files(key))
        if not cands:
            return []
        test_parts = set(directory.split("/")) - _TEST_DIRS

        def score(c: str) -> int:
            cdir = posixpath.dirname(c)
            return (100 if cdir == directory else 0) + len(
                test_parts & (set(cdir.split("/")) - _TEST_DIRS)
            )

        best = max(score(c) for c in cands)
        return [c for c in cands if score(c) == best]
    return []


def derive_file(facts: FileFacts, ctx: Context, index: RepoIndex) -> Contribution:
    path = facts.path
    fid = file_id(path)
    nodes: dict[str, dict[str, Any]] = {fid: {}}
    edges: dict[tuple[str, str], dict[str, Any]] = {}
    probes: set[str] = set()

    if facts.lang == PYTHON:
        mid = module_id(lang_python.module_name(path), lang_python.module_root(path))
        nodes[mid] = {}
        edges[(mid, fid)] = {"kind": "defined_in"}
        targets = _python_targets(facts, index, probes)
    elif facts.lang == JS:
        targets = _js_targets(facts, ctx, index, probes)
    elif facts.lang == GO:
        targets = _go_targets(facts, ctx, index, probes)
        if not facts.test:
            pkg = _go_import_path(posixpath.dirname(path), ctx.gomods)
            if pkg is not None:
                mid = module_id(pkg)
                nodes[mid] = {}
                edges[(mid, fid)] = {"kind": "defined_in"}
    else:
        targets = []

    for target in targets:
        if target != path:
            nodes[file_id(target)] = {}
            edges[(fid, file_id(target))] = {"kind": "imports"}

    if facts.test:
        tid = test_id(path)
        nodes[tid] = {}
        edges[(tid, fid)] = {"kind": "defined_in"}
        via: dict[str, list[str]] = {}
        for target in targets:
            via.setdefault(target, []).append("import")
        for target in _naming_targets(facts, index, probes):
            via.setdefault(target, []).append("naming")
        if facts.lang == GO:
            # A Go test compiles into its package and exercises every file of it.
            directory = posixpath.dirname(path)
            probes.add(f"godir:{directory}")
            for target in index.package_files(directory):
                via.setdefault(target, []).append("package")
        for target, how in via.items():
            if target != path:
                nodes[file_id(target)] = {}
                edges[(tid, file_id(target))] = {"kind": "tests", "via": sorted(set(how))}

    if ctx.owners is not None:
        for owner in ctx.owners.owners_of(path):
            nodes[owner_id(owner)] = {}
            edges[(fid, owner_id(owner))] = {"kind": "owned_by"}
    for name, paths, critical in ctx.service_match:
        if paths.matches(path):
            sid = service_id(name)
            nodes[sid] = {}
            edges[(fid, sid)] = {"kind": "part_of", "critical": critical.matches(path)}
    for tid_, target_cfg, sources in ctx.target_match:
        if target_reads(target_cfg, sources, path):
            nodes[tid_] = {}
            edges[(tid_, fid)] = {"kind": "built_from"}
    for iid, paths in ctx.incident_match:
        if paths.matches(path):
            nodes[iid] = {}
            edges[(iid, fid)] = {"kind": "touched"}
    return Contribution(nodes, edges, frozenset(probes))


def target_reads(target: Target, sources: PatternSet, path: str) -> bool:
    if sources.matches(path):
        return True
    if target.dockerfile and path == target.dockerfile:
        return True
    if target.context is not None:
        ctx_dir = target.context.strip("/")
        return ctx_dir in ("", ".") or path.startswith(ctx_dir + "/")
    return False


def _go_import_path(directory: str, gomods: dict[str, str]) -> str | None:
    best: tuple[str, str] | None = None
    for mod, root in gomods.items():
        inside = root == "" or directory == root or directory.startswith(root + "/")
        if inside and (best is None or len(root) > len(best[1])):
            best = (mod, root)
    if best is None:
        return None
    mod, root = best
    rest = directory[len(root) :].strip("/")
    return f"{mod}/{rest}" if rest else mod


def derive_services(ctx: Context) -> Contribution:
    """Service, target and incident nodes with their attributes and edges among them."""
    cfg = ctx.services
    nodes: dict[str, dict[str, Any]] = {}
    edges: dict[tuple[str, str], dict[str, Any]] = {}
    for svc in cfg.services:
        sid = service_id(svc.name)
        nodes[sid] = {
            "criticality": svc.criticality,
            "slos": [s.model_dump() for s in svc.slos],
            "owners": list(svc.owners),
        }
        for owner in svc.owners:
            nodes[owner_id(owner)] = {}
            edges[(sid, owner_id(owner))] = {"kind": "owned_by"}
    for svc_name, target in cfg.all_targets():
        tid = target_id(target.kind, target.name)
        nodes[tid] = {
            "target_kind": target.kind,
            "service": svc_name,
            "spec": target.model_dump(mode="json"),
        }
        if svc_name is not None:
            edges[(tid, service_id(svc_name))] = {"kind": "belongs_to"}
        for dep in target.dep_refs():
            dep_id = f"target:{dep}"
            nodes.setdefault(dep_id, {})
            edges[(tid, dep_id)] = {"kind": "depends_on"}
    for inc in cfg.incidents:
        iid = incident_id(inc.id)
        nodes[iid] = {
            "date": inc.date.isoformat(),
            "severity": inc.severity,
            "title": inc.title,
            "paths": list(inc.paths),
        }
        for svc_name in inc.services:
            edges[(iid, service_id(svc_name))] = {"kind": "affected"}
    return Contribution(nodes, edges, frozenset())
