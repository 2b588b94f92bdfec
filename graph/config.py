"""`.github/maestro/services.yml`: services, build targets, incidents and policy, validated.

Validation errors never raise: `parse_services` returns the config it could read (or an empty
one) plus findings that name the file and the line of the offending YAML node. The format is
documented in docs/graph.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from graph.globs import unsupported_syntax
from graph.ids import Finding, TargetKind

SERVICES_PATH = ".github/maestro/services.yml"
Arch = Literal["amd64", "arm64"]
Criticality = Literal["low", "medium", "high", "critical"]
CRITICALITY_SCORE: dict[str, float] = {"low": 0.1, "medium": 0.4, "high": 0.7, "critical": 1.0}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_globs(patterns: list[str]) -> list[str]:
    for p in patterns:
        problem = unsupported_syntax(p)
        if problem:
            raise ValueError(f"{problem}: {p}")
    return patterns


class Slo(_Strict):
    name: str
    objective: float = Field(gt=0, le=100, description="target in percent, e.g. 99.9")
    window: str = "30d"


class Target(_Strict):
    """A build target: a Nix attribute, a container image or a test job."""

    kind: TargetKind
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9._/@+-]+$")
    sources: list[str] = Field(default_factory=list, description="path globs the target reads")
    deps: list[str] = Field(default_factory=list, description="'kind#name' or a name of this kind")
    archs: list[Arch] = Field(default_factory=list, description="allowed runner architectures")
    dockerfile: str | None = None
    context: str | None = None
    platforms: list[str] = Field(default_factory=list, description="image platforms, linux/arm64")
    command: str | None = None

    _globs = field_validator("sources")(classmethod(lambda cls, v: _check_globs(v)))

    @model_validator(mode="after")
    def _kind_fields(self) -> Target:
        if self.kind == "image" and not self.dockerfile:
            raise ValueError("an image target needs 'dockerfile'")
        if self.kind == "test" and not self.command:
            raise ValueError("a test target needs 'command'")
        if self.kind != "image" and (self.dockerfile or self.platforms):
            raise ValueError("'dockerfile' and 'platforms' belong to image targets")
        built = self.platform_archs()
        if self.archs and self.platforms and not set(self.archs) <= set(built):
            raise ValueError(
                f"'archs' {self.archs} names an architecture the image's 'platforms' do not build"
            )
        return self

    def platform_archs(self) -> list[str]:
        """Architectures an image is built for: `linux/arm64/v8` → `arm64`, in declared order."""
        archs = [p.split("/")[1] for p in self.platforms if p.count("/") >= 1]
        return list(dict.fromkeys(a for a in archs if a))

    def allowed_archs(self, priced: list[str]) -> list[str]:
        """Runner architectures this target may build on: `archs` when given; for an image,
        the architectures of its `platforms`; otherwise every architecture the policy prices."""
        if self.archs:
            return list(self.archs)
        if self.platforms:
            return self.platform_archs()
        return sorted(priced)

    @property
    def ref(self) -> str:
        return f"{self.kind}#{self.name}"

    def dep_refs(self) -> list[str]:
        return [d if "#" in d else f"{self.kind}#{d}" for d in self.deps]


class Service(_Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9._-]+$")
    paths: list[str] = Field(min_length=1)
    owners: list[str] = Field(default_factory=list)
    criticality: Criticality = "medium"
    critical_paths: list[str] = Field(default_factory=list)
    slos: list[Slo] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)

    _globs = field_validator("paths", "critical_paths")(classmethod(lambda cls, v: _check_globs(v)))


class Incident(_Strict):
    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9._-]+$")
    date: dt.date
    title: str = ""
    severity: str = ""
    services: list[str] = Field(default_factory=list)
    paths: list[str] = Field(default_factory=list)

    _globs = field_validator("paths")(classmethod(lambda cls, v: _check_globs(v)))


class RiskPolicy(_Strict):
    """Blast-radius settings and risk factor weights (see docs/graph.md, "Risk factors")."""

    depth: int = Field(default=3, ge=0, le=50)
    decay: float = Field(default=0.5, gt=0, le=1, description="weight of a file per hop away")
    cone_saturation: float = Field(default=0.25, gt=0, le=1)
    slo_saturation: int = Field(default=3, ge=1)
    incident_window_days: int = Field(default=90, ge=1)
    weights: dict[str, float] = Field(
        default_factory=lambda: {
            "cone_size": 0.25,
            "critical_services": 0.25,
            "slos": 0.10,
            "untested": 0.15,
            "incidents": 0.15,
            "owners": 0.10,
        }
    )

    @field_validator("weights")
    @classmethod
    def _known(cls, v: dict[str, float]) -> dict[str, float]:
        known = {"cone_size", "critical_services", "slos", "untested", "incidents", "owners"}
        unknown = sorted(set(v) - known)
        if unknown:
            raise ValueError(f"unknown risk factor(s): {', '.join(unknown)}")
        if any(w < 0 for w in v.values()) or sum(v.values()) <= 0:
            raise ValueError("weights must be non-negative with a positive sum")
        return v


class ArchCost(_Strict):
    price: float = Field(default=1.0, ge=0, description="relative price per build minute")
    carbon: float = Field(default=1.0, ge=0, description="relative gCO2e per build minute")
    runner: str = ""


def _default_weights() -> dict[Literal["price", "carbon"], float]:
    return {"price": 0.5, "carbon": 0.5}


def _default_archs() -> dict[Arch, ArchCost]:
    return {
        "amd64": ArchCost(runner="ubuntu-latest"),
        "arm64": ArchCost(runner="ubuntu-24.04-arm"),
    }


class PlatformPolicy(_Strict):
    weights: dict[Literal["price", "carbon"], float] = Field(default_factory=_default_weights)
    architectures: dict[Arch, ArchCost] = Field(default_factory=_default_archs)


class Policy(_Strict):
    risk: RiskPolicy = Field(default_factory=RiskPolicy)
    platforms: PlatformPolicy = Field(default_factory=PlatformPolicy)


class ServicesConfig(_Strict):
    version: Literal[1] = 1
    services: list[Service] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list, description="targets of no service")
    incidents: list[Incident] = Field(default_factory=list)
    policy: Policy = Field(default_factory=Policy)

    def all_targets(self) -> list[tuple[str | None, Target]]:
        """(owning service name or None, target) for every declared target."""
        out: list[tuple[str | None, Target]] = [(None, t) for t in self.targets]
        for svc in self.services:
            out += [(svc.name, t) for t in svc.targets]
        return out


def _semantic_errors(cfg: ServicesConfig) -> list[tuple[tuple[Any, ...], str, str]]:
    """(location, code, detail) for cross-references YAML schemas cannot express."""
    errors: list[tuple[tuple[Any, ...], str, str]] = []
    names: dict[str, int] = {}
    for i, svc in enumerate(cfg.services):
        if svc.name in names:
            errors.append((("services", i, "name"), "duplicate_service", svc.name))
        names.setdefault(svc.name, i)
    refs: dict[str, tuple[Any, ...]] = {}
    located: list[tuple[tuple[Any, ...], Target]] = [
        (("targets", j), t) for j, t in enumerate(cfg.targets)
    ]
    for i, svc in enumerate(cfg.services):
        located += [(("services", i, "targets", j), t) for j, t in enumerate(svc.targets)]
    for loc, target in located:
        if target.ref in refs:
            errors.append(((*loc, "name"), "duplicate_target", target.ref))
        refs.setdefault(target.ref, loc)
    for loc, target in located:
        for k, dep in enumerate(target.dep_refs()):
            if dep not in refs:
                errors.append(((*loc, "deps", k), "unknown_target", dep))
    for i, inc in enumerate(cfg.incidents):
        for k, svc_name in enumerate(inc.services):
            if svc_name not in names:
                errors.append((("incidents", i, "services", k), "unknown_service", svc_name))
    return errors


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves timestamps as strings: pydantic parses dates and reports bad ones
    with their line (PyYAML would raise a bare ValueError for `2026-13-40`)."""


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _line_of(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the deepest YAML node that `loc` reaches."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == str(key):
                    nxt = v
                    line = k.start_mark.line + 1
                    break
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            node = node.value[key] if key < len(node.value) else None
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def parse_services(text: str, path: str = SERVICES_PATH) -> tuple[ServicesConfig, list[Finding]]:
    """Validated config and findings; on any error the config is empty (nothing half-applied)."""
    try:
        root = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        return ServicesConfig(), [
            Finding(path=path, line=line, code="yaml_syntax_error", detail=str(exc.problem))
        ]
    except yaml.YAMLError as exc:
        return ServicesConfig(), [Finding(path=path, code="yaml_syntax_error", detail=str(exc))]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return ServicesConfig(), [Finding(path=path, line=1, code="services_not_a_mapping")]
    try:
        cfg = ServicesConfig.model_validate(data)
    except ValidationError as exc:
        findings = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            where = ".".join(str(p) for p in loc)
            findings.append(
                Finding(
                    path=path,
                    line=_line_of(root, loc),
                    code="services_invalid",
                    detail=f"{where}: {err['msg']}",
                )
            )
        return ServicesConfig(), findings
    semantic = _semantic_errors(cfg)
    if semantic:
        return ServicesConfig(), [
            Finding(path=path, line=_line_of(root, loc), code=code, detail=detail)
            for loc, code, detail in semantic
        ]
    return cfg, []
