"""Affected build targets: which Nix attributes, images and test jobs a change must rebuild.

A target is affected when a changed path is one it reads (`sources` globs, an image's
`dockerfile` or `context`), when a target it depends on is affected, or, for test jobs, when the
blast radius reaches its service. Each affected target gets a runner architecture: among the
target's allowed `archs` (default: for an image, the architectures its `platforms` build; else
every architecture the policy prices), the lowest weighted
score Σ weight_k × cost_k / Σ weight_k over k ∈ {price, carbon}; ties go to the name that sorts
first. The result renders as a GitHub Actions matrix: `{"include": [...]}`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field

from graph.blast import BlastRadius
from graph.config import PlatformPolicy, ServicesConfig, Target
from graph.derive import target_reads
from graph.globs import PatternSet

_KIND_ORDER = {"nix": 0, "image": 1, "test": 2}


class PlatformChoice(BaseModel):
    arch: str
    runner: str
    score: float
    reason: str = Field(description="only_allowed | lowest_weighted_score | tie_first_name")
    scores: dict[str, float]


class AffectedTarget(BaseModel):
    id: str
    kind: str
    name: str
    service: str | None
    reason: str = Field(description="sources_changed | dependency_affected | service_impacted")
    evidence: list[str] = Field(description="changed paths, the dependency, or the import chain")
    platform: PlatformChoice
    target: Target

    def matrix_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "service": self.service or "",
            "reason": self.reason,
            "trigger": self.evidence[0] if self.evidence else "",
            "arch": self.platform.arch,
            "runs-on": self.platform.runner,
            "arch_reason": self.platform.reason,
            "arch_score": self.platform.score,
            "arch_scores": self.platform.scores,
        }
        if self.kind == "nix":
            entry["attr"] = self.name
        elif self.kind == "image":
            entry["dockerfile"] = self.target.dockerfile
            entry["context"] = self.target.context or "."
            entry["platforms"] = ",".join(self.target.platforms)
        else:
            entry["command"] = self.target.command
        return entry


class AffectedReport(BaseModel):
    changed: list[str]
    targets: list[AffectedTarget]

    def matrix(self) -> dict[str, list[dict[str, Any]]]:
        """GitHub Actions matrix (`strategy.matrix: ${{ fromJSON(...) }}`)."""
        return {"include": [t.matrix_entry() for t in self.targets]}


def choose_platform(target: Target, policy: PlatformPolicy) -> PlatformChoice:
    priced = policy.architectures
    declared = target.allowed_archs(list(priced))
    allowed = [a for a in declared if a in priced]
    if not allowed:
        # Nothing the policy prices is allowed: fall back to the first declared arch.
        arch = (declared or ["amd64"])[0]
        return PlatformChoice(arch=arch, runner="", score=0.0, reason="unpriced", scores={})
    total = sum(policy.weights.values()) or 1.0
    scores: dict[str, float] = {
        a: round(
            sum(w * getattr(priced[a], k) for k, w in policy.weights.items()) / total,
            4,
        )
        for a in allowed
    }
    best = min(sorted(allowed), key=lambda a: scores[a])
    if len(allowed) == 1:
        reason = "only_allowed"
    elif sum(1 for a in allowed if scores[a] == scores[best]) > 1:
        reason = "tie_first_name"
    else:
        reason = "lowest_weighted_score"
    return PlatformChoice(
        arch=best, runner=priced[best].runner, score=scores[best], reason=reason, scores=scores
    )


def affected_targets(
    config: ServicesConfig, changed: Iterable[str], blast: BlastRadius | None = None
) -> AffectedReport:
    """Targets a change requires. `changed` includes deleted paths; `blast` adds test jobs of
    services the change reaches through imports (without it, only services whose paths changed)."""
    changed_paths = sorted(set(changed))
    declared = {t.ref: (svc, t) for svc, t in config.all_targets()}
    found: dict[str, tuple[str, list[str]]] = {}
    for ref, (_, target) in sorted(declared.items()):
        sources = PatternSet(target.sources)
        hits = [p for p in changed_paths if target_reads(target, sources, p)]
        if hits:
            found[ref] = ("sources_changed", hits)

    impacted: dict[str, list[str]] = {}
    if blast is not None:
        impacted = {s.name: s.reason.path for s in blast.services}
    else:
        for svc in config.services:
            paths = PatternSet(svc.paths)
            hits = [p for p in changed_paths if paths.matches(p)]
            if hits:
                impacted[svc.name] = hits[:1]
    for ref, (svc_name, target) in sorted(declared.items()):
        if target.kind == "test" and ref not in found and svc_name in impacted:
            found[ref] = ("service_impacted", impacted[svc_name])

    dependents: dict[str, list[str]] = {}
    for ref, (_, target) in declared.items():
        for dep in target.dep_refs():
            dependents.setdefault(dep, []).append(ref)
    queue = sorted(found)
    while queue:
        ref = queue.pop(0)
        for user in sorted(dependents.get(ref, [])):
            if user not in found:
                found[user] = ("dependency_affected", [ref])
                queue.append(user)

    policy = config.policy.platforms
    targets = []
    for ref, (reason, evidence) in found.items():
        svc_name, target = declared[ref]
        targets.append(
            AffectedTarget(
                id=ref,
                kind=target.kind,
                name=target.name,
                service=svc_name,
                reason=reason,
                evidence=evidence,
                platform=choose_platform(target, policy),
                target=target,
            )
        )
    targets.sort(key=lambda t: (_KIND_ORDER[t.kind], t.name))
    return AffectedReport(changed=changed_paths, targets=targets)
