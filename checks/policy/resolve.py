"""Per-path override resolution: which threshold and which obligations apply to a pull request.

Each changed file gets the base policy with every override whose `paths` match it applied in
file order (later overrides win). The pull request then owes, per obligation, the strictest
threshold over its files (highest minimum, lowest maximum) and every obligation any file
requires: each area's owner gets at least their own gate. No changed file: the base policy.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from checks.obligations.catalog import SPECS
from checks.policy.model import Policy
from checks.proofcard import Comparator
from checks.rules.globs import any_match


class Effective(BaseModel):
    """What one obligation requires of this pull request, and which policy entry said so."""

    key: str
    required: bool
    threshold: float | int | None = None
    decided_by: str = "policy"  # "default", "policy" or "overrides[i] (glob, …)"
    file: str | None = None  # the changed file whose rules set the threshold


def _origin(policy: Policy, key: str) -> str:
    return "policy" if key in policy.thresholds.values() else "default"


def _per_file(
    policy: Policy, path: str | None
) -> tuple[dict[str, float | int], set[str], dict[str, str]]:
    thresholds = policy.base_thresholds()
    required: set[str] = set(policy.required)
    origin = {k: _origin(policy, k) for k in thresholds}
    if path is None:
        return thresholds, required, origin
    for i, override in enumerate(policy.overrides):
        if not any_match(override.paths, path):
            continue
        label = f"overrides[{i}] ({', '.join(override.paths)})"
        for key, value in override.thresholds.values().items():
            thresholds[key] = value
            origin[key] = label
        required |= set(override.require)
        required -= set(override.skip)
    return thresholds, required, origin


def _stricter(key: str, a: float | int, b: float | int) -> bool:
    """Whether threshold a is stricter than b for this obligation."""
    if SPECS[key].comparator is Comparator.AT_LEAST:
        return a > b
    return a < b


def resolve(policy: Policy, changed_files: Sequence[str]) -> dict[str, Effective]:
    """Effective requirement for every obligation in the catalog."""
    paths: list[str | None] = list(changed_files) or [None]
    result: dict[str, Effective] = {}
    for path in paths:
        thresholds, required, origin = _per_file(policy, path)
        for key in SPECS:
            current = result.get(key)
            is_required = key in required
            limit = thresholds.get(key)
            if current is None:
                result[key] = Effective(
                    key=key,
                    required=is_required,
                    threshold=limit,
                    decided_by=origin.get(key, "policy"),
                    file=path,
                )
                continue
            if is_required and not current.required:
                current.required = True
            if limit is not None and (
                current.threshold is None or _stricter(key, limit, current.threshold)
            ):
                current.threshold = limit
                current.decided_by = origin.get(key, "policy")
                current.file = path
    return result
