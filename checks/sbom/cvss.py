"""CVSS base scores computed from the vector, never taken from a label.

* v3.0 / v3.1: the base equations of the FIRST specification (CVSS v3.1 specification
  document §7.1 and Appendix A for Roundup; v3.0 rounds up to one decimal with a plain
  ceiling).
* v4.0: the score comes from the MacroVector lookup table and the interpolation of the FIRST
  calculator. That table and algorithm are carried by the `cvss` package (Red Hat Product
  Security's implementation, kept in step with the FIRST reference calculator; LGPL-3.0-or-later,
  used unmodified as a runtime dependency), so `score_v4` always computes a score. Only the
  eleven base metrics are scored (CVSS-B): threat, environmental and supplemental metrics in
  the vector are dropped first, as the v3 scorer ignores temporal metrics.

Ratings (v3.1 §5 and v4.0 §2): 0.0 none, 0.1–3.9 low, 4.0–6.9 medium, 7.0–8.9 high,
9.0–10.0 critical.
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, Decimal

from cvss import CVSS4  # type: ignore[import-untyped,unused-ignore]
from cvss.exceptions import CVSS4Error  # type: ignore[import-untyped,unused-ignore]

from checks.sbom.models import Severity

_AV = {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}
_AC = {"L": 0.77, "H": 0.44}
_PR_U = {"N": 0.85, "L": 0.62, "H": 0.27}
_PR_C = {"N": 0.85, "L": 0.68, "H": 0.5}
_UI = {"N": 0.85, "R": 0.62}
_CIA = {"H": 0.56, "L": 0.22, "N": 0.0}
_V3_BASE = ("AV", "AC", "PR", "UI", "S", "C", "I", "A")


class CvssError(ValueError):
    """The vector is not a valid CVSS vector of the expected version."""


def roundup_31(value: float) -> float:
    """CVSS v3.1 Appendix A Roundup: smallest one-decimal number >= value, float-safe."""
    int_input = round(value * 100000)
    if int_input % 10000 == 0:
        return int_input / 100000.0
    return (math.floor(int_input / 10000) + 1) / 10.0


def roundup_30(value: float) -> float:
    """CVSS v3.0 round up to one decimal."""
    return float(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_CEILING))


def parse_v3(vector: str) -> tuple[str, dict[str, str]]:
    parts = vector.strip().split("/")
    if not parts or parts[0] not in ("CVSS:3.0", "CVSS:3.1"):
        raise CvssError(f"not a CVSS v3 vector: {vector!r}")
    metrics: dict[str, str] = {}
    for part in parts[1:]:
        key, sep, value = part.partition(":")
        if not sep or key in metrics:
            raise CvssError(f"bad or repeated metric {part!r} in {vector!r}")
        metrics[key] = value
    for key in _V3_BASE:
        if key not in metrics:
            raise CvssError(f"missing base metric {key} in {vector!r}")
    return parts[0][5:], metrics


def score_v3(vector: str) -> float:
    """Base score of a CVSS v3.0/v3.1 vector (temporal/environmental metrics are ignored)."""
    version, m = parse_v3(vector)
    try:
        scope_changed = {"U": False, "C": True}[m["S"]]
        av, ac, ui = _AV[m["AV"]], _AC[m["AC"]], _UI[m["UI"]]
        pr = (_PR_C if scope_changed else _PR_U)[m["PR"]]
        c, i, a = _CIA[m["C"]], _CIA[m["I"]], _CIA[m["A"]]
    except KeyError as exc:
        raise CvssError(f"bad metric value in {vector!r}") from exc
    iss = 1 - (1 - c) * (1 - i) * (1 - a)
    impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 if scope_changed else 6.42 * iss
    exploitability = 8.22 * av * ac * pr * ui
    if impact <= 0:
        return 0.0
    roundup = roundup_31 if version == "3.1" else roundup_30
    if scope_changed:
        return roundup(min(1.08 * (impact + exploitability), 10))
    return roundup(min(impact + exploitability, 10))


_V4_BASE = ("AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA")


def base_vector_v4(vector: str) -> str:
    """The vector reduced to its base metrics, in the specification's order."""
    parts = vector.strip().split("/")
    if not parts or parts[0] != "CVSS:4.0":
        raise CvssError(f"not a CVSS v4 vector: {vector!r}")
    metrics: dict[str, str] = {}
    for part in parts[1:]:
        key, sep, value = part.partition(":")
        if not sep or key in metrics:
            raise CvssError(f"bad or repeated metric {part!r} in {vector!r}")
        metrics[key] = value
    missing = [k for k in _V4_BASE if k not in metrics]
    if missing:
        raise CvssError(f"missing base metric(s) {', '.join(missing)} in {vector!r}")
    return "CVSS:4.0/" + "/".join(f"{k}:{metrics[k]}" for k in _V4_BASE)


def score_v4(vector: str) -> float:
    """CVSS v4.0 base score (CVSS-B) of a vector, computed by the `cvss` package."""
    base = base_vector_v4(vector)
    try:
        return float(CVSS4(base).base_score)
    except CVSS4Error as exc:
        raise CvssError(f"bad CVSS v4 vector {vector!r}: {exc}") from exc


def rating(score: float) -> Severity:
    """Qualitative severity of a CVSS (v3 or v4) score."""
    if score <= 0:
        return Severity.NONE
    if score < 4.0:
        return Severity.LOW
    if score < 7.0:
        return Severity.MEDIUM
    if score < 9.0:
        return Severity.HIGH
    return Severity.CRITICAL
