"""The data a blast radius returns: factors, impacted services, reasons, tests and incidents.

Explanations are data: every model carries values and codes, and `templates/decision_card.md.j2`
phrases them. The per-file lists of a large cone (tens of thousands of files) are not built by
the query itself; `BlastRadius.impacted` and `BlastRadius.required_tests` materialise them from
the query's arrays on first access (and are included by `model_dump`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

from pydantic import BaseModel, Field, PrivateAttr, computed_field

from graph.blast_index import BlastIndex, Cone, IntArray
from graph.ids import name_of


class Factor(BaseModel):
    name: str
    weight: float
    value: float = Field(ge=0, le=1)
    contribution: float
    actual: float | int
    reason: str = Field(description="reason code, phrased by the template")
    facts: list[str] = Field(default_factory=list, description="evidence items (paths, names)")
    figures: dict[str, float | int] = Field(
        default_factory=dict, description="numbers behind the value, phrased by the template"
    )


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
    paths: list[str] = Field(description="cone files the incident touched")
    services: list[str] = Field(
        default_factory=list, description="impacted services the incident names"
    )


@dataclass(frozen=True, eq=False)
class ConeDetail:
    """What the per-file lists are materialised from: the index, the walk, the weight per depth,
    and the (cone position, test index) links plus each required test's depth, in card order."""

    index: BlastIndex
    cone: Cone
    weights: list[float]
    test_rows: IntArray
    test_ids: IntArray
    required: IntArray
    required_depth: IntArray

    def impacted(self) -> list[ImpactedFile]:
        ix, cone = self.index, self.cone
        owners = ix.owners
        out = []
        for i, d in zip(cone.order.tolist(), cone.depth.tolist(), strict=True):
            names = [
                name_of(owners.names[k]) for k in owners.idx[owners.ptr[i] : owners.ptr[i + 1]]
            ]
            out.append(
                ImpactedFile(
                    path=str(ix.paths[i]),
                    depth=d,
                    weight=self.weights[d],
                    tested=bool(ix.tested[i]),
                    owners=sorted(names),
                )
            )
        return out

    def required_tests(self, limit: int | None = None) -> list[RequiredTest]:
        chosen = self.required[:limit]
        wanted = set(chosen.tolist())
        covers: dict[int, list[str]] = {t: [] for t in wanted}
        paths = self.index.paths[self.cone.order]
        for row, t in zip(self.test_rows.tolist(), self.test_ids.tolist(), strict=True):
            if t in wanted:
                covers[t].append(str(paths[row]))
        names = self.index.tests.names
        return [
            RequiredTest(path=names[t][len("test:") :], covers=sorted(covers[t]), depth=d)
            for t, d in zip(chosen.tolist(), self.required_depth[:limit].tolist(), strict=True)
        ]

    def __eq__(self, other: object) -> bool:
        # Two results are equal when what they describe is equal, whatever arrays back them.
        if not isinstance(other, ConeDetail):
            return NotImplemented
        return (
            self.impacted() == other.impacted() and self.required_tests() == other.required_tests()
        )

    __hash__ = None  # type: ignore[assignment]


class BlastRadius(BaseModel):
    evaluated_on: dt.date
    depth_limit: int
    changed: list[str]
    impacted_count: int = Field(description="files in the cone, changed files included")
    services: list[ImpactedService]
    critical_files: list[ReasonPath] = Field(
        description="the first `reason_limit` critical files in the cone, nearest first"
    )
    critical_file_count: int
    owners: list[str]
    required_test_count: int
    incidents: list[IncidentHit]
    factors: list[Factor]
    risk: float = Field(ge=0, le=1)
    level: str
    _detail: ConeDetail | None = PrivateAttr(default=None)

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def impacted(self) -> list[ImpactedFile]:
        """Every file in the cone by (depth, path), with its weight, test link and owners."""
        return self._detail.impacted() if self._detail is not None else []

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def required_tests(self) -> list[RequiredTest]:
        """Tests linked to cone files plus test files in the cone, nearest first."""
        return self._detail.required_tests() if self._detail is not None else []

    def required_tests_top(self, limit: int) -> list[RequiredTest]:
        """The first `limit` required tests, without materialising the rest."""
        if self._detail is None:
            return []
        return self._detail.required_tests(limit)

    def reasons(self) -> list[ReasonPath]:
        return [s.reason for s in self.services] + self.critical_files
